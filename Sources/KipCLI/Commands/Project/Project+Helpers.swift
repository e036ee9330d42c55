import Foundation
import KipCore

extension ProjectCommands {
    // MARK: Helpers

    static let waitDeletedFlag = Flag(
        "wait", "If a namespace it needs is still being deleted, wait until it is gone (at most 5 minutes), then go on."
    )

    static let waitFlag = Flag(
        "wait", "Wait until the namespaces are gone (at most 5 minutes), saying so as each one goes.")
}
