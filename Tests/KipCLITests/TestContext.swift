import Foundation
import KipCLI
import KipCore
import KipTestSupport
import XCTest

/// A context with buffered streams, a fixed clock and randomness, a temp config folder
/// and a recording kubectl runner.
final class TestContext {
    let out = Output()
    let err = Output()
    let runner: CommandRunner
    /// The runner as a recorder, for tests that gave one.
    var recorder: RecordingRunner { runner as! RecordingRunner }
    let context: Context
    let home: String

    init(
        runner: CommandRunner = RecordingRunner(), input: [String] = [], terminal: Bool = false,
        env: [String: String] = [:],
        home: String? = nil
    ) {
        self.runner = runner
        ownsHome = home == nil
        self.home = home ?? (NSTemporaryDirectory() + "kip-ctx-" + UUID().uuidString.prefix(8).lowercased())
        var e = env
        e["HOME"] = self.home
        e["KUBECONFIG"] = e["KUBECONFIG"] ?? (self.home + "/no-kubeconfig")
        context = Context(
            stdin: ScriptedInput(input), stdout: out, stderr: err,
            terminal: Terminal(stdin: terminal, stdout: terminal, stderr: terminal), env: e,
            clock: { Date(timeIntervalSince1970: 1_800_000_000) }, random: FixedRandom(),
            config: ConfigStore(directory: self.home + "/.kip"), runner: runner)
    }

    var stdout: String { out.buffer }
    var stderr: String { err.buffer }

    /// Removes the home folder only when it made one up itself.
    private var ownsHome = false

    deinit { if ownsHome { try? FileManager.default.removeItem(atPath: home) } }
}

final class FixedRandom: RandomSource {
    var next: UInt8 = 0
    func bytes(_ n: Int) -> [UInt8] {
        (0..<n).map { _ in
            next &+= 37
            return next
        }
    }
}
