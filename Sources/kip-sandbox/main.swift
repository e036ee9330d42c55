import Foundation
import KipSandbox

#if canImport(Glibc)
    import Glibc
#endif

signal(SIGPIPE, SIG_IGN)
do {
    guard let options = try Sandbox.parse(Array(CommandLine.arguments.dropFirst())) else {
        print(Sandbox.help, terminator: "")
        exit(0)
    }
    let server = try Sandbox.start(options)
    print("kip-sandbox listening on http://127.0.0.1:\(server.port)")
    fflush(stdout)
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .main)
        s.setEventHandler { exit(0) }
        s.resume()
        sources.append(s)
    }
    dispatchMain()
} catch {
    FileHandle.standardError.write(Data("kip-sandbox: \(error)\n".utf8))
    exit(2)
}
