import Foundation

/// How many kubectl processes a command started, and in how many sequential rounds:
/// processes started together (`KubectlDriver.concurrently`) are one round, however many
/// there are, because they cost one round trip of waiting. Shared by every driver a
/// command makes; `kip -v` prints the figures on exit and `make bench` reports them.
public final class Rounds: @unchecked Sendable {
    private let lock = NSLock()
    private var _processes = 0
    private var _rounds = 0
    private static let inRound = "kip.rounds.in-round"

    public init() {}

    public var processes: Int { lock.withLock { _processes } }
    public var rounds: Int { lock.withLock { _rounds } }

    /// A process is starting: a round of its own unless it runs inside a concurrent one.
    public func process() {
        let inside = Thread.current.threadDictionary[Self.inRound] != nil
        lock.withLock {
            _processes += 1
            if !inside { _rounds += 1 }
        }
    }

    /// A concurrent round is starting on this thread (nested rounds count once).
    func beginRound() {
        guard Thread.current.threadDictionary[Self.inRound] == nil else { return }
        lock.withLock { _rounds += 1 }
    }

    /// Marks the current (worker) thread as running inside a concurrent round.
    static func enterRound() { Thread.current.threadDictionary[inRound] = true }

    /// The current thread's round is over (steps run one by one on it).
    static func leaveRound() { Thread.current.threadDictionary.removeObject(forKey: inRound) }

    /// Whether the current thread already runs inside a concurrent round.
    static var insideRound: Bool { Thread.current.threadDictionary[inRound] != nil }
}
