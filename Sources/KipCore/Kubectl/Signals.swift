import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C (SIGINT) and a CI timeout (SIGTERM) stop kip and the kubectl it started: the
/// signal is forwarded to every running child, kip waits for them, puts the terminal
/// back as it found it, says so in one line and exits 128 + the signal (130, 143).
/// Nothing of kip's goes on running after kip is gone.
public enum Signals {
    /// The children running now, by pid (0 = a free slot). Read by the handler, so plain
    /// C storage, no locks.
    nonisolated(unsafe) static var children = [pid_t](repeating: 0, count: 64)
    nonisolated(unsafe) public static var received: Int32 = 0
    /// The terminal settings to restore (a hidden prompt changes them).
    nonisolated(unsafe) static var savedTerminal = termios()
    nonisolated(unsafe) static var haveSavedTerminal = false
    static let lock = NSLock()

    /// Installs the handlers; `main` calls it once.
    public static func install() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { sig in Signals.handle(sig) }
        }
    }

    static func handle(_ sig: Int32) {
        received = sig
        var any = false
        for pid in children where pid > 0 {
            kill(pid, sig)
            any = true
        }
        // With a child running, its exit wakes the runner, which ends the command; at a
        // prompt or between calls there is nothing to wait for: stop now.
        if !any { finish(sig) }
    }

    /// Restores the terminal, prints one line and exits; only async-signal-safe calls.
    static func finish(_ sig: Int32) -> Never {
        if haveSavedTerminal { tcsetattr(0, TCSANOW, &savedTerminal) }
        if sig == SIGALRM {
            // The command's own bound (`--timeout`), not a signal from outside.
            deadlineLine.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
            _exit(124)
        }
        let line = sig == SIGINT ? "\nInterrupted: stopped.\n" : "\nTerminated: stopped.\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        _exit(128 + sig)
    }

    nonisolated(unsafe) static var deadlineLine: [CChar] = []

    /// Bounds the whole command: after `seconds`, the kubectl running is stopped (as by
    /// SIGTERM), and kip says so in one line and exits 124, as timeout(1) does.
    public static func deadline(after seconds: Double, text: String) {
        deadlineLine = Array(
            "Error: kip did not finish within \(text) (--timeout): stopped; nothing more was written\n".utf8CString
                .dropLast())
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            lock.lock()
            received = SIGALRM
            var any = false
            for pid in children where pid > 0 {
                kill(pid, SIGTERM)
                any = true
            }
            lock.unlock()
            if !any { finish(SIGALRM) }
        }
    }

    static func started(_ pid: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        if let i = children.firstIndex(of: 0) { children[i] = pid }
    }

    static func ended(_ pid: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        if let i = children.firstIndex(of: pid) { children[i] = 0 }
    }

    /// Remembers the terminal's settings before a prompt changes them.
    public static func saveTerminal(_ t: termios) {
        savedTerminal = t
        haveSavedTerminal = true
    }

    public static func forgetTerminal() { haveSavedTerminal = false }

    /// After a child ended: if a signal stopped it, stop kip too.
    static func checkInterrupted() {
        let sig = received
        if sig != 0 { finish(sig) }
    }
}
