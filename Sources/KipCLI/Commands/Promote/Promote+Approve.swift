import Foundation
import KipCore

/// `kip app approve`: an admin of an environment that requires approvals lets one
/// promotion of an app's image into it go ahead.
extension PromoteCommands {
    static func approve(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let all = inv.has("all")
        let app = inv.arguments.first
        if all == (app != nil) || (all && inv.value("image") != nil) {
            throw UsageError(
                message: app == nil && !all
                    ? "Missing expected argument '<app>' (or --all)"
                    : (all && app != nil
                        ? "Give an app or --all, not both" : "--image names one app's image: give the app"),
                command: inv.command)
        }
        return try ctx.run {
            let (plan, approved) = try approvals(inv, ctx, app: app)
            return Attempt(plan, result: .array(approved))
        }.code
    }

    /// The Approvals to write in the target: the image the source runs (or `--image`) of
    /// each app, by who runs kip. An approval of the same image that a promotion used is
    /// not written over: the new one takes a name of its own.
    static func approvals(_ inv: Invocation, _ ctx: Context, app: String?) throws -> (Plan, [JSON]) {
        let w = try ctx.project(of: inv)
        let project = w.project!
        let to = inv.value("to")!
        let target = try PromotionGates.approvalTarget(project, to)
        let kinds = [WorkloadKind.app.resource, "deployments.apps", CRDs.approval]
        let images: [(String, String)]
        let dst: EnvironmentView
        if let image = inv.value("image"), let app {
            // The image is named: the source is not read (its admin may have no rights there).
            dst = try ctx.environments([target], of: w, kinds: kinds)[0]
            images = [(app, image)]
        } else {
            let (from, _) = try Promotion.environments(project, from: inv.value("from"), to: to, force: true)
            let both = try ctx.environments([project.environment(from)!, target], of: w, kinds: kinds)
            dst = both[1]
            let items = Promotion.plan(
                apps: app.map { [$0] }, source: both[0].crs(.app), target: dst.crs(.app), running: dst.runningImages,
                create: true)
            if let app, let i = items.first, PromotionGates.image(i) == nil {
                throw KipError(
                    PromotionRound.refusal(i, from: from, to: to, project: project.name)
                        ?? "app \(app) in \(to) already runs what \(from) runs: nothing to approve")
            }
            images = items.compactMap { i in PromotionGates.image(i).map { (i.app, $0) } }
        }
        if images.isEmpty { throw KipError("\(to) already runs every image of its source: nothing to approve") }
        let plan = PromotionGates.approvalPlan(
            images, to: to, dst: dst, by: try ctx.identity(), at: Promotion.timestamp(ctx.clock()))
        return (plan, plan.owners.map { $0["spec"] ?? [:] })
    }
}
