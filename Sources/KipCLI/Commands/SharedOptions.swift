import Foundation
import KipCore

/// `--adopt`: take over what exists under the name without being kip's.
let adoptFlag = Flag(
    "adopt",
    "Take over objects of the same names that kip did not create (a hand-made Deployment, Service…): they are rewritten as kip renders them."
)

/// `--project` / `--environment`, on every command that acts inside an environment.
let scopeOptions: [OptionSpec] = [
    .value(
        "project", "project", "Project: NAME, NAME/ENV or the namespace form NAME-ENV (default: the active project)."),
    .value("environment", "env", "Environment of the project (default: the active one)."),
]

/// Flag values that must be checked before anything is written.
enum Check {
    static func name(_ n: String, _ kind: WorkloadKind) throws {
        if !DNS.isDNS1035Label(n) {
            throw KipError(
                "\(kind.word) name '\(n)' is not valid: use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. api)"
            )
        }
    }

    /// `KEY=VALUE` arguments; a key given twice keeps its last value.
    static func env(_ pairs: [String]) throws -> [EnvVar] {
        unique(
            try pairs.map { p in
                guard let eq = p.firstIndex(of: "=") else { throw KipError("'\(p)' must be KEY=VALUE") }
                let k = String(p[..<eq])
                try envKey(k)
                return EnvVar(name: k, value: String(p[p.index(after: eq)...]))
            })
    }

    /// One entry per name, at its first position, with its last value.
    static func unique(_ env: [EnvVar]) -> [EnvVar] {
        var out: [EnvVar] = []
        for e in env {
            if let i = out.firstIndex(where: { $0.name == e.name }) { out[i] = e } else { out.append(e) }
        }
        return out
    }

    static func envKey(_ k: String) throws {
        if let why = EnvNames.problem(k) { throw KipError(why) }
    }

}
