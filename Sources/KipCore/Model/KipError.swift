import Foundation

/// A user-facing failure: one sentence that says what went wrong and what to do, an exit
/// code, and optional detail lines (a failed kubectl call's argv and stderr).
public struct KipError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var detail: [String]
    public var exitCode: Int32
    /// The server refused a write because the object changed since kip read it (409
    /// Conflict on a resourceVersion precondition): reading again and re-planning helps.
    public var isConflict = false
    /// The server refused the request (403): the user lacks a permission.
    public var isForbidden = false

    public init(_ message: String, detail: [String] = [], exitCode: Int32 = 1) {
        self.message = message
        self.detail = detail
        self.exitCode = exitCode
    }

    public var description: String { message }
}
