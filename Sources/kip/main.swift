import Foundation
import KipCLI
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

signal(SIGPIPE, SIG_IGN)
Signals.install()
exit(Kip.run(Array(CommandLine.arguments.dropFirst()), Kip.liveContext()))
