import Foundation

/// What a promotion says once written: a line an app (promoted, finished, created,
/// unchanged, or why not), the counts, and the `-o json` document.
public struct PromotionReport {
    public enum Said: Equatable {
        case done(String)
        case failed(String)
        case same(String)
    }

    public var said: [Said] = []
    public var promoted = 0
    /// Apps not written: refused, or failed by the server.
    public var problems = 0
    var results: [String: JSON] = [:]

    /// `failed`: why the server refused an app's write; `refusal`: why an item could not
    /// be promoted at all.
    /// `refused`: why a gate refused an app (recorded in the target's history).
    public init(
        _ items: [Promotion.Item], failed: [String: String], refused: [String: String] = [:], to: String,
        refusal: (Promotion.Item) -> String?
    ) {
        for i in items {
            if let why = refused[i.app] {
                said.append(.failed("\(i.app): refused: \(why)"))
                results[i.app] = [
                    "app": .string(i.app), "outcome": "refused", "image": .string(PromotionGates.image(i) ?? ""),
                    "error": .string(why),
                ]
                problems += 1
                continue
            }
            switch i.outcome {
            case .promote(let before, let after):
                written(
                    i.app, failed, not: "promoted", "\(i.app) → \(to) (\(after))", outcome: "promoted", image: after)
                if failed[i.app] == nil { results[i.app]?["imageBefore"] = .string(before) }
            case .finish(let img, let running):
                written(
                    i.app, failed, not: "finished",
                    "\(i.app) → \(to) (\(img)): finished; "
                        + (running.isEmpty ? "its Deployment was missing" : "its Deployment ran \(running)"),
                    outcome: "finished", image: img)
            case .create(let img):
                written(
                    i.app, failed, not: "created", "\(i.app) → \(to) (\(img)), new in \(to)", outcome: "created",
                    image: img)
            case .unchanged(let img):
                said.append(.same("= \(i.app) already runs \(img) in \(to)"))
                results[i.app] = ["app": .string(i.app), "outcome": "unchanged", "image": .string(img)]
            case .missingTarget, .missingSource, .noImage:
                let why = refusal(i) ?? i.app
                said.append(.failed(why))
                results[i.app] = ["app": .string(i.app), "outcome": "refused", "error": .string(why)]
                problems += 1
            }
        }
    }

    /// A written app's line: what was done, or (`not …`) why not.
    mutating func written(
        _ app: String, _ failed: [String: String], not word: String, _ line: String, outcome: String, image: String
    ) {
        if let why = failed[app] {
            said.append(.failed("\(app): not \(word): \(why)"))
            results[app] = ["app": .string(app), "outcome": "failed", "image": .string(image), "error": .string(why)]
            problems += 1
        } else {
            said.append(.done(line))
            results[app] = ["app": .string(app), "outcome": .string(outcome), "image": .string(image)]
            promoted += 1
        }
    }

    /// What `--wait` found: the apps whose rollout failed and why, those put back to
    /// their image from before, and those this promotion created and then removed.
    public struct Rollouts: Equatable {
        public var failed: [String: String] = [:]
        public var putBack: Set<String> = []
        public var removed: Set<String> = []
        public init(failed: [String: String] = [:], putBack: Set<String> = [], removed: Set<String> = []) {
            (self.failed, self.putBack, self.removed) = (failed, putBack, removed)
        }
    }

    /// The `-o json|yaml` document: counts of apps promoted (written and, with `--wait`,
    /// rolled out), failed (refused, refused by the server, or their rollout failed), put
    /// back and removed; apps whose rollout failed say so.
    public func document(
        project: String, from: String, to: String, _ items: [Promotion.Item], rollouts: Rollouts = Rollouts()
    ) -> JSON {
        var results = self.results
        for (app, why) in rollouts.failed {
            results[app]?["outcome"] = "rollout-failed"
            results[app]?["error"] = .string(why)
            if rollouts.putBack.contains(app) { results[app]?["putBack"] = true }
            if rollouts.removed.contains(app) { results[app]?["removed"] = true }
        }
        return [
            "project": .string(project), "from": .string(from), "to": .string(to),
            "promoted": .int(promoted - rollouts.failed.count), "failed": .int(problems + rollouts.failed.count),
            "putBack": .int(rollouts.putBack.count), "removed": .int(rollouts.removed.count),
            "apps": .array(items.compactMap { results[$0.app] }),
        ]
    }

    /// The closing line of `promote --all`.
    public func done(of count: Int, _ rollouts: Rollouts = Rollouts()) -> String {
        var out = "Done: \(promoted - rollouts.failed.count) of \(count) promoted"
        let failed = problems + rollouts.failed.count
        if failed > 0 { out += ", \(failed) failed" }
        if !rollouts.putBack.isEmpty { out += ", \(rollouts.putBack.count) put back" }
        if !rollouts.removed.isEmpty { out += ", \(rollouts.removed.count) removed" }
        return out
    }
}
