import Foundation

/// What `promote --wait` does with apps whose rollout failed in the target (pure): each
/// marked failed in its history; with `--rollback-on-failure` an app this promotion
/// created is removed (unless `--keep-failed`) and one it changed is put back to the
/// image it ran; each told as a Warning Event.
public enum PromotionFailures {
    public struct Options: Sendable {
        public var from: String
        public var to: String
        /// Apps the promotion created in the target.
        public var creating: Set<String>
        public var rollback: Bool
        public var keepFailed: Bool
        public var at: Date

        public init(from: String, to: String, creating: Set<String>, rollback: Bool, keepFailed: Bool, at: Date) {
            (self.from, self.to, self.creating, self.rollback, self.keepFailed, self.at) = (
                from, to, creating, rollback, keepFailed, at
            )
        }
    }

    public static func plan(
        _ items: [Promotion.Item], failures: [String: String], _ o: Options, dst: EnvironmentView, by: String
    ) throws -> (Plan, PromotionReport.Rollouts) {
        var outcome = PromotionReport.Rollouts(failed: failures)
        var crs: [JSON] = []
        var deletes: [Plan.Deletion] = []
        var said: [Plan.Line] = []
        for i in items {
            guard let why = failures[i.app], let image = PromotionGates.image(i), let current = dst.cr(.app, i.app)
            else { continue }
            let marked = Promotion.failed(current, image: image, reason: why)
            if o.rollback && o.creating.contains(i.app) && !o.keepFailed {
                deletes += try dst.deletion(.app, i.app).deletes
                outcome.removed.insert(i.app)
                said.append(
                    .warning("\(i.app): removed from \(o.to), where this promotion created it (--rollback-on-failure)"))
            } else if o.rollback, case .promote(let before, _) = i.outcome, !before.isEmpty {
                crs.append(
                    Promotion.recorded(
                        Workloads.applyable(marked), previous: marked, image: before, action: "put-back", from: o.from,
                        at: Promotion.timestamp(o.at), by: by))
                outcome.putBack.insert(i.app)
                said.append(.warning("\(i.app): put back to \(before) in \(o.to) (--rollback-on-failure)"))
            } else {
                crs.append(Workloads.applyable(marked))
                if o.creating.contains(i.app) {
                    said.append(
                        .warning(
                            "\(i.app): kept in \(o.to), where this promotion created it, though its rollout failed"))
                }
            }
        }
        var plan = try dst.plan(crs)
        plan.deletes += deletes
        plan.report = said
        plan.changes = failures.keys.sorted().map { app in
            let what =
                outcome.putBack.contains(app) ? "put back" : outcome.removed.contains(app) ? "removed" : "left as it is"
            return .app(
                outcome.putBack.contains(app) ? "PutBack" : "PromotionFailed", "Promote", app, in: dst.scope.namespace,
                note: "kip app promote by \(by): the rollout failed (\(failures[app]!)); \(what)", warning: true)
        }
        return (plan, outcome)
    }
}
