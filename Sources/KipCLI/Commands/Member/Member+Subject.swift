import Foundation
import KipCore

extension MemberCommands {
    // MARK: subject

    /// The subject the arguments name: a user, or `--group`; exactly one.
    static func subject(_ inv: Invocation) throws -> (Member.Kind, String) {
        switch (inv.arguments.first, inv.value("group")) {
        case (let u?, nil): return (.user, u)
        case (nil, let g?): return (.group, g)
        case (_?, _?): throw UsageError(message: "Give a user or --group, not both", command: inv.command)
        case (nil, nil):
            throw UsageError(message: "Missing expected argument '<user>' (or --group)", command: inv.command)
        }
    }
}
