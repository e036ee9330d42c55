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
    public init(
        _ items: [Promotion.Item], failed: [String: String], to: String, refusal: (Promotion.Item) -> String?
    ) {
        for i in items {
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

    /// The `-o json|yaml` document; apps whose rollout failed (`rollouts`) say so.
    public func document(
        project: String, from: String, to: String, _ items: [Promotion.Item], rollouts: [String: String] = [:]
    ) -> JSON {
        var results = self.results
        for (app, why) in rollouts {
            results[app]?["outcome"] = "rollout-failed"
            results[app]?["error"] = .string(why)
        }
        return [
            "project": .string(project), "from": .string(from), "to": .string(to), "promoted": .int(promoted),
            "apps": .array(items.compactMap { results[$0.app] }),
        ]
    }
}
