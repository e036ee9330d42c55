import Foundation
import KipCore

/// A runner for unit tests: records every call as a value and answers from a script.
public final class RecordingRunner: CommandRunner, @unchecked Sendable {
    public struct Call: Equatable, Sendable {
        public var argv: [String]
        public var stdin: String?
        public init(argv: [String], stdin: String?) {
            self.argv = argv
            self.stdin = stdin
        }
    }
    private let lock = NSLock()
    private var recorded: [Call] = []
    /// Every call so far, in the order they started (reads may run concurrently).
    public var calls: [Call] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
    private var responses: [ProcessResult]
    private let fallback: ([String], Data?) -> ProcessResult

    /// Answers with `responses` in order, then with `fallback`.
    public init(
        responses: [ProcessResult] = [],
        fallback: @escaping ([String], Data?) -> ProcessResult = { _, _ in
            ProcessResult(status: 0, stdout: Data("{\"kind\":\"List\",\"items\":[]}".utf8))
        }
    ) {
        self.responses = responses
        self.fallback = fallback
    }

    public func run(_ argv: [String], stdin: Data?) throws -> ProcessResult {
        lock.lock()
        recorded.append(Call(argv: argv, stdin: stdin.map { String(decoding: $0, as: UTF8.self) }))
        let canned = responses.isEmpty ? nil : responses.removeFirst()
        lock.unlock()
        return canned ?? fallback(argv, stdin)
    }
}
