import Foundation
import KipCore

extension Context {
    /// Runs a PodSession: the one place a command hands streams to kubectl. Under
    /// `--dry-run` a session that replaces data says what it would do and runs nothing;
    /// on success it tells its Event and says it is done.
    func session(_ s: PodSession) throws -> Int32 {
        if dryRun, let line = s.dryRun {
            printer.success(line)
            return 0
        }
        let status: Int32
        switch s.streams {
        case .attach(let args):
            status = try attached(args)
        case .pipe(let first, let second):
            try piped(first, into: second)
            status = 0
        case .forward(let args, let forwarded):
            return try forwarding(args, forwarded)
        case .follow(let args):
            let out = stdout
            try stream(args) { out.write(data: $0) }
            status = 0
        }
        guard status == 0 else {
            switch s.onFailure {
            case .status: return status
            case .exit(let code): return code
            case .error(let line): throw KipError(line)
            }
        }
        if let e = s.event { tell([e]) }
        if let line = s.done { printer.success(line) }
        return 0
    }

    /// A port forward for a client (whose status is kip's), or until Ctrl-C.
    private func forwarding(_ args: [String], _ f: PodSession.Forwarded) throws -> Int32 {
        let (running, port) = try forward(args)
        defer { running.stop() }
        if !f.client.isEmpty {
            let c = PodStreams.connection(
                type: f.type, credentials: f.credentials, port: port, showPassword: f.showPassword)
            return try attachedLocal(f.client, environment: c.environment)
        }
        let lines = f.announcement(port: port)
        printer.success(lines[0])
        for l in lines.dropFirst() { printer.line(l) }
        throw KipError(f.ended(status: running.wait()))
    }
}
