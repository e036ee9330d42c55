import Foundation
import KipCore

extension ProjectCommands {
    // MARK: Helpers

    static let waitDeletedFlag = Flag(
        "wait", "If a namespace it needs is still being deleted, wait until it is gone (at most 5 minutes), then go on."
    )

    static let waitFlag = Flag(
        "wait", "Wait until the namespaces are gone (at most 5 minutes), saying so as each one goes.")

    /// A namespace already on its way out (`deletionTimestamp` set): deleting it again is
    /// a 409 on a real cluster, and it is going anyway.
    static func terminating(_ ns: JSON?) -> Bool { ns?.at("metadata", "deletionTimestamp") != nil }

    static func arrow(_ envs: [String]) -> String { envs.joined(separator: " → ") }

    static func inventory(_ items: [JSON]) -> String {
        var counts: [String: Int] = [:]
        for o in items { counts[o["kind"]?.stringValue ?? "", default: 0] += 1 }
        let order = [
            ("App", "app"), ("Service", "service"), ("Volume", "volume"), ("Function", "function"), ("Job", "job"),
        ]
        let parts = order.compactMap { k, word in counts[k].map { "\($0) \(word)\($0 == 1 ? "" : "s")" } }
        return parts.isEmpty ? "empty" : parts.joined(separator: ", ")
    }
}
