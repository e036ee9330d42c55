import Foundation
import KipCLI

#if canImport(Glibc)
    import Glibc
#endif

signal(SIGPIPE, SIG_IGN)
exit(Kip.run(Array(CommandLine.arguments.dropFirst()), Kip.liveContext()))
