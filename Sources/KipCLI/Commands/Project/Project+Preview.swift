import Foundation
import KipCore

/// `kip project preview up|down`: a pull request's environment from CI, made or updated
/// by the same line on every push, and removed when the pull request closes.
extension ProjectCommands {
    static var previewSpec: CommandSpec {
        CommandSpec(
            "preview", "Preview environments from CI: one line per push, one when the pull request closes.",
            subcommands: [
                CommandSpec(
                    "up", "Create a preview environment, or update its images and TTL.",
                    discussion: """
                        The first run copies --copy-from into a new preview environment (not a stage of
                        the pipeline); every later run sets the images given and, with --ttl, moves its
                        end to that long from now. Prints each app's URL; -o json gives them to a script.
                        """,
                    arguments: [
                        ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                        ArgumentSpec("env", "Preview environment (or give PROJECT/ENV).", optional: true),
                    ],
                    options: [
                        .required("copy-from", "env", "The environment a new preview copies."),
                        .list("image", "app=image", "Run this image of this app in the preview (repeatable)."),
                        .value(
                            "ttl", "duration", "'kip project gc' removes it this long after the last run (e.g. 72h)."),
                        rolloutWaitFlag.spec,
                    ], handler: previewUp),
                CommandSpec(
                    "down", "Remove a preview environment (nothing to do when it is gone).",
                    discussion: "Only a preview: a stage of the pipeline is removed with 'kip project remove-env'.",
                    arguments: [
                        ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                        ArgumentSpec("env", "Preview environment (or give PROJECT/ENV).", optional: true),
                    ], options: [LifecycleCommands.confirmEnv, waitFlag.spec], handler: previewDown),
            ])
    }

    /// `--image APP=IMAGE`, each.
    static func images(_ inv: Invocation) throws -> [(app: String, image: String)] {
        try (inv.options["image"] ?? []).map { v in
            let parts = v.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw UsageError(
                    message:
                        "The value '\(v)' is invalid for '--image <app=image>': give APP=IMAGE (e.g. api=r/api:pr-42)",
                    command: inv.command)
            }
            return (parts[0], parts[1])
        }
    }

    /// One write: the copy (a new preview) or its new end (`--ttl`), then each app's
    /// image as a step planned after the copy was written; then, with `--wait`, their
    /// rollouts; then each app's URL.
    static func previewUp(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (name, env) = try LifecycleCommands.target(inv, ctx)
        let images = try images(inv)
        let expiresAt = try expiry(inv, ctx)
        let existing = try ctx.project(named: name)?.environment(env)
        if let existing { try Preview.checkIsPreview(existing, project: name, removing: false) }
        let scoped = Invocation(command: ["app", "set-image"], options: ["project": ["\(name)/\(env)"]], arguments: [])
        var steps = images.map { app, image in
            AppCommands.changeStep(scoped, ctx, app) { spec, _ in spec.image = image }
        }
        if existing == nil {
            var options = ["preview": [""], "copy-from": inv.options["copy-from"] ?? []]
            if let ttl = inv.options["ttl"] { options["ttl"] = ttl }
            let add = Invocation(command: ["project", "add-env"], options: options, arguments: [name, env])
            steps.insert(
                try CopyCommands.copyStep(
                    add, ctx, project: name, env: env, from: inv.value("copy-from")!, apps: images.map(\.app)), at: 0)
        } else {
            // Every app named is there before the first write (the new end, or an image).
            if images.count > (expiresAt == nil ? 1 : 0) {
                let w = try ctx.environment(scoped, reading: .kinds([WorkloadKind.app.resource]))
                for (app, _) in images { _ = try w.require(.app, app) }
            }
            if let expiresAt { steps.insert(extendStep(name, env, to: expiresAt, ctx), at: 0) }
        }
        if let first = steps.first {
            // Under --dry-run a new preview's apps are not there yet to plan an image for.
            let written = try ctx.run(first, then: { ctx.dryRun && existing == nil ? [] : Array(steps.dropFirst()) })
            if written.code != 0 || ctx.dryRun { return written.code }
        }
        if inv.has(rolloutWaitFlag) && !images.isEmpty,
            let ns = try ctx.project(named: name)?.environment(env)?.namespace
        {
            _ = try AppCommands.waitIfAsked(inv, ctx, ns, images.map { RolloutWait.app($0.app) })
        }
        return try showPreview(name, env, created: existing == nil, ctx)
    }

    /// A later push: the preview ends `--ttl` from now.
    static func extendStep(_ name: String, _ env: String, to expiresAt: String, _ ctx: Context)
        -> (Int) throws -> Attempt
    {
        { _ in
            Attempt(
                try Preview.extendPlan(try ctx.readProject(name, kinds: []) { _ in [] }.0, env: env, to: expiresAt))
        }
    }

    /// Each app of the preview with the URL it answers at.
    static func showPreview(_ name: String, _ env: String, created: Bool, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(
            Invocation(command: ["project", "preview"], options: ["project": ["\(name)/\(env)"]], arguments: []),
            reading: .kinds([WorkloadKind.app.resource]))
        let (doc, lines) = Preview.summary(
            project: name, env: env, apps: w.crs(.app), scope: w.scope,
            expiresAt: w.observed.project(name)?.environment(env)?.expiresAt, created: created)
        return try ctx.show(doc) { _ in for l in lines { ctx.printer.line(l) } }
    }

    static func previewDown(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (name, env) = try LifecycleCommands.target(inv, ctx)
        guard let project = try ctx.project(named: name) else {
            throw ProjectPlanner.unknownProject(name, observed: try ctx.everyProject())
        }
        guard let e = project.environment(env) else {
            return try ctx.run { Attempt(Plan.nothing("\(name)/\(env) is not there: nothing to remove.")) }.code
        }
        try Preview.checkIsPreview(e, project: name, removing: true)
        try Protection.check([e], project: name, inv, ctx)
        // A preview is made to go: the command names it, which is its confirmation.
        var options = inv.options
        options["confirm"] = [env]
        return try removeEnv(
            Invocation(command: ["project", "remove-env"], options: options, arguments: [name, env]), ctx)
    }
}
