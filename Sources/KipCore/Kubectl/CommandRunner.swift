import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What one finished process left behind.
public struct ProcessResult: Equatable, Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public init(status: Int32, stdout: Data = Data(), stderr: Data = Data()) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs one program to completion. The only thing in kip that starts processes.
public protocol CommandRunner: AnyObject {
    /// `argv[0]` is a program name looked up on PATH.
    func run(_ argv: [String], stdin: Data?) throws -> ProcessResult
    /// Runs with stdout handed to `output` as it arrives (`kubectl logs --follow`); the
    /// result holds the status and stderr.
    func stream(_ argv: [String], output: @escaping @Sendable (Data) -> Void) throws -> ProcessResult
    /// Whether independent calls are run at the same time (processes that each wait on
    /// the network). A runner that answers in-process runs them one by one, in order, so
    /// that what it answers (uids, resourceVersions) does not depend on thread timing.
    var runsConcurrently: Bool { get }
    /// Runs with kip's own standard streams (a terminal, a file, a pipe), which pass
    /// through kip untouched (`app exec`, `service dump|restore`), but for the lines of
    /// stderr `withheld` picks, which are kept for kip to say in its own words; returns
    /// its status and those lines.
    func attached(_ argv: [String], environment: [String: String], withheld: @escaping @Sendable (String) -> Bool)
        throws -> ProcessResult
    /// Starts a process that runs beside kip (a forwarded port) with each line of its
    /// stdout handed to `line`, its stderr passed on but for the lines `withheld` picks
    /// (kept in `Running.withheld`); stopped by `Running.stop()`.
    func start(
        _ argv: [String], line: @escaping @Sendable (String) -> Void, withheld: @escaping @Sendable (String) -> Bool
    ) throws -> Running
    /// Runs `first` with its stdout piped into `second`'s stdin, both at once, so what
    /// flows between them touches no file and not kip; the second's stdout and both
    /// stderrs are kept.
    func piped(_ first: [String], into second: [String]) throws -> (first: ProcessResult, second: ProcessResult)
}

extension CommandRunner {
    public var runsConcurrently: Bool { true }

    public func attached(
        _ argv: [String], environment: [String: String], withheld: @escaping @Sendable (String) -> Bool
    ) throws -> ProcessResult {
        throw RunnerError.launch(argv.first ?? "", "this runner has no standard streams to hand over")
    }

    public func start(
        _ argv: [String], line: @escaping @Sendable (String) -> Void, withheld: @escaping @Sendable (String) -> Bool
    ) throws -> Running {
        throw RunnerError.launch(argv.first ?? "", "this runner starts no processes")
    }

    public func piped(_ first: [String], into second: [String]) throws -> (first: ProcessResult, second: ProcessResult)
    {
        throw RunnerError.launch(first.first ?? "", "this runner cannot pipe processes")
    }

    /// For runners that answer at once: the whole stdout in one piece.
    public func stream(_ argv: [String], output: @escaping @Sendable (Data) -> Void) throws -> ProcessResult {
        let r = try run(argv, stdin: nil)
        output(r.stdout)
        return ProcessResult(status: r.status, stderr: r.stderr)
    }
}

public enum RunnerError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    /// `KIP_KUBECTL` names something that is not an executable program.
    case badOverride(String, String)
    case launch(String, String)
    case signalled(String, Int32)

    public var description: String {
        switch self {
        case .notFound(let p):
            return "\(p) not found on PATH: install \(p), or set KIP_KUBECTL to its full path"
        case .badOverride(let value, let why):
            return "KIP_KUBECTL=\(value) \(why): point it at kubectl (a path, or a name on PATH), or unset it"
        case .launch(let p, let why): return "could not start \(p): \(why)"
        case .signalled(let p, let sig): return "\(p) was killed by signal \(sig)"
        }
    }
}

/// A process started beside kip (`CommandRunner.start`).
public final class Running: @unchecked Sendable {
    let process: Process
    let kept = Box("")
    /// The stderr lines it was started to keep (a refusal kip says in its own words).
    public var withheld: String { kept.get() }

    init(_ process: Process) { self.process = process }

    public var isRunning: Bool { process.isRunning }

    /// Waits for it to end by itself (or by a signal kip forwarded); its status.
    public func wait() -> Int32 {
        process.waitUntilExit()
        Signals.ended(process.processIdentifier)
        Signals.checkInterrupted()
        return process.terminationStatus
    }

    /// Stops it (SIGTERM) and waits for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        Signals.ended(process.processIdentifier)
    }
}

/// A small lock-guarded box so reader threads can hand their bytes back in Swift 6 mode.
public final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    public init(_ v: T) { value = v }
    public func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
    public func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// Runs programs with Foundation's `Process`: stdout and stderr are drained on their own
/// threads and stdin written from a third, so a child's large output never fills a pipe
/// and a child that exits without reading stdin does not take kip down (SIGPIPE is
/// ignored in `main`, and the write error is swallowed).
public final class ProcessRunner: CommandRunner {
    private let environment: [String: String]
    /// Overrides for program names (`kubectl` -> `/opt/k/kubectl`).
    private let overrides: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, overrides: [String: String] = [:])
    {
        self.environment = environment
        self.overrides = overrides
    }

    public func resolve(_ program: String) -> String? {
        // An override is a path, or a bare name looked up on PATH like any program.
        if let o = overrides[program], o != program { return resolve(o) }
        if program.contains("/") { return Self.isProgram(program) ? program : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if Self.isProgram(p) { return p }
        }
        return nil
    }

    /// An executable file (a directory is "executable" too, but runs nothing).
    static func isProgram(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    /// Writing to a child that already exited raises SIGPIPE, whose default action ends
    /// the whole process; `main` ignores it too, this covers every other host (tests).
    private static let ignoreSIGPIPE: Void = {
        signal(SIGPIPE, SIG_IGN)
        return ()
    }()

    public func run(_ argv: [String], stdin: Data?) throws -> ProcessResult {
        try execute(argv, stdin: stdin, output: nil)
    }

    public func stream(_ argv: [String], output: @escaping @Sendable (Data) -> Void) throws -> ProcessResult {
        try execute(argv, stdin: nil, output: output)
    }

    public func attached(
        _ argv: [String], environment extra: [String: String], withheld: @escaping @Sendable (String) -> Bool
    ) throws -> ProcessResult {
        let p = try process(argv)
        if !extra.isEmpty {
            p.environment = (p.environment ?? ProcessInfo.processInfo.environment).merging(extra) { $1 }
        }
        let err = Pipe()
        p.standardInput = FileHandle.standardInput
        p.standardOutput = FileHandle.standardOutput
        p.standardError = err
        do { try p.run() } catch { throw RunnerError.launch(argv[0], "\(error)") }
        Signals.started(p.processIdentifier)
        // The child runs in a process group of its own: on a terminal it must be the
        // foreground one, or reading the terminal (or making it raw, as `exec -t` does)
        // stops it (SIGTTIN, SIGTTOU). kip takes the terminal back when it is done; a kip
        // that is not in the foreground itself hands nothing over.
        let foreground = isatty(0) == 1 && tcgetpgrp(0) == getpgrp()
        if foreground {
            signal(SIGTTOU, SIG_IGN)
            tcsetpgrp(0, getpgid(p.processIdentifier))
            kill(p.processIdentifier, SIGCONT)
        }
        defer {
            if foreground {
                tcsetpgrp(0, getpgrp())
                signal(SIGTTOU, SIG_DFL)
            }
            Signals.ended(p.processIdentifier)
            Signals.checkInterrupted()
        }
        // stderr passes on line by line as it comes (a partial line once it has waited
        // for its end), but for the lines kip says itself.
        let kept = Box(Data())
        let done = DispatchSemaphore(value: 0)
        let reading = err.fileHandleForReading
        Thread.detachNewThread {
            var pending = Data()
            func pass(_ line: Data) {
                if withheld(String(decoding: line, as: UTF8.self)) {
                    kept.set(kept.get() + line)
                } else {
                    FileHandle.standardError.write(line)
                }
            }
            while true {
                let chunk = reading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 10) {
                    pass(Data(pending[pending.startIndex...nl]))
                    pending.removeSubrange(pending.startIndex...nl)
                }
                if !pending.isEmpty && !withheld(String(decoding: pending, as: UTF8.self)) {
                    FileHandle.standardError.write(pending)
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { pass(pending) }
            done.signal()
        }
        p.waitUntilExit()
        done.wait()
        return ProcessResult(status: p.terminationStatus, stderr: kept.get())
    }

    public func piped(_ first: [String], into second: [String]) throws -> (first: ProcessResult, second: ProcessResult)
    {
        Self.ignoreSIGPIPE
        let a = try process(first)
        let b = try process(second)
        let between = Pipe()
        let (aErr, bOut, bErr) = (Pipe(), Pipe(), Pipe())
        a.standardInput = FileHandle.nullDevice
        a.standardOutput = between
        a.standardError = aErr
        b.standardInput = between
        b.standardOutput = bOut
        b.standardError = bErr
        do { try a.run() } catch { throw RunnerError.launch(first[0], "\(error)") }
        Signals.started(a.processIdentifier)
        do { try b.run() } catch {
            a.terminate()
            throw RunnerError.launch(second[0], "\(error)")
        }
        Signals.started(b.processIdentifier)
        // kip keeps neither end: the first sees EPIPE if the second stops reading, the
        // second sees the end of its input when the first exits.
        try? between.fileHandleForReading.close()
        try? between.fileHandleForWriting.close()
        defer {
            Signals.ended(a.processIdentifier)
            Signals.ended(b.processIdentifier)
            Signals.checkInterrupted()
        }
        let boxes = (Box(Data()), Box(Data()), Box(Data()))
        let group = DispatchGroup()
        for (h, box) in [(aErr, boxes.0), (bOut, boxes.1), (bErr, boxes.2)] {
            let reading = h.fileHandleForReading
            group.enter()
            Thread.detachNewThread {
                box.set(reading.readDataToEndOfFile())
                group.leave()
            }
        }
        a.waitUntilExit()
        b.waitUntilExit()
        group.wait()
        return (
            ProcessResult(status: a.terminationStatus, stderr: boxes.0.get()),
            ProcessResult(status: b.terminationStatus, stdout: boxes.1.get(), stderr: boxes.2.get())
        )
    }

    public func start(
        _ argv: [String], line: @escaping @Sendable (String) -> Void, withheld: @escaping @Sendable (String) -> Bool
    ) throws -> Running {
        Self.ignoreSIGPIPE
        let p = try process(argv)
        let (out, err) = (Pipe(), Pipe())
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw RunnerError.launch(argv[0], "\(error)") }
        Signals.started(p.processIdentifier)
        let running = Running(p)
        func lines(_ h: FileHandle, _ each: @escaping @Sendable (String) -> Void) {
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = h.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let nl = pending.firstIndex(of: 10) {
                        each(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...nl)
                    }
                }
                if !pending.isEmpty { each(String(decoding: pending, as: UTF8.self)) }
            }
        }
        lines(out.fileHandleForReading, line)
        lines(err.fileHandleForReading) { l in
            if withheld(l) {
                running.kept.set(running.kept.get() + l + "\n")
            } else {
                FileHandle.standardError.write(Data((l + "\n").utf8))
            }
        }
        return running
    }

    /// A process for `argv`, its program found on PATH (or through an override).
    private func process(_ argv: [String]) throws -> Process {
        guard let program = argv.first else { throw RunnerError.launch("", "empty command") }
        guard let path = resolve(program) else { throw RunnerError.notFound(program) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        return p
    }

    private func execute(_ argv: [String], stdin: Data?, output: (@Sendable (Data) -> Void)?) throws -> ProcessResult {
        Self.ignoreSIGPIPE
        guard let program = argv.first else { throw RunnerError.launch("", "empty command") }
        guard let path = resolve(program) else {
            if let o = overrides[program] {
                var isDir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: o, isDirectory: &isDir)
                throw RunnerError.badOverride(
                    o,
                    !o.contains("/")
                        ? "is not on PATH"
                        : !exists
                            ? "does not exist"
                            : isDir.boolValue
                                ? "is a directory" : "is not executable")
            }
            throw RunnerError.notFound(program)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        do { try p.run() } catch { throw RunnerError.launch(program, "\(error)") }
        let pid = p.processIdentifier
        Signals.started(pid)
        defer {
            Signals.ended(pid)
            Signals.checkInterrupted()
        }

        let out = Box(Data())
        let err = Box(Data())
        let group = DispatchGroup()
        func drain(_ h: FileHandle, into box: Box<Data>, passing: (@Sendable (Data) -> Void)? = nil) {
            group.enter()
            Thread.detachNewThread {
                var acc = Data()
                while true {
                    let chunk = h.availableData
                    if chunk.isEmpty { break }
                    if let passing { passing(chunk) } else { acc.append(chunk) }
                }
                box.set(acc)
                group.leave()
            }
        }
        drain(outPipe.fileHandleForReading, into: out, passing: output)
        drain(errPipe.fileHandleForReading, into: err)
        if let stdin {
            let w = inPipe.fileHandleForWriting
            group.enter()
            Thread.detachNewThread {
                // A child that exits early closes its end: the write fails with EPIPE, which
                // is not kip's error; the child's status tells what happened.
                try? w.write(contentsOf: stdin)
                try? w.close()
                group.leave()
            }
        }
        p.waitUntilExit()
        group.wait()
        if p.terminationReason == .uncaughtSignal { throw RunnerError.signalled(program, p.terminationStatus) }
        return ProcessResult(status: p.terminationStatus, stdout: out.get(), stderr: err.get())
    }
}
