import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// What a node's container runtime would make of a pod's containers: whether each starts,
/// crashes or is refused, the image name it reports once started (containerd's
/// normalised `docker.io/library/nginx:latest`, never the spec's `nginx`), and the log
/// lines it leaves. kip-sandbox runs no containers; this is its model of one.
struct Runtime {
    var failImages: [String]
    var crashImages: [String]
    var rootImages: [String]

    enum Outcome: Equatable {
        case running
        /// Never pulled: ImagePullBackOff (the status keeps the spec's image).
        case pullFailed
        /// Started and exited: CrashLoopBackOff, with the line it printed last.
        case crashed(String)
        /// The kubelet refused to start it: CreateContainerConfigError.
        case refused(String)
    }

    static func matches(_ globs: [String], _ image: String) -> Bool {
        globs.contains { fnmatch($0, image, 0) == 0 }
    }

    /// How container `c` of a pod whose spec is `pod` fares.
    func outcome(_ c: JSON, pod: JSON) -> Outcome {
        let image = c["image"]?.stringValue ?? ""
        if Self.matches(failImages, image) { return .pullFailed }
        if Self.matches(crashImages, image) {
            return .crashed("kip-sandbox: \(image) exited with status 1 (it matches --crash-image)")
        }
        if Self.matches(rootImages, image) {
            func field(_ path: String...) -> JSON? {
                c.at(["securityContext"] + path) ?? pod.at(["securityContext"] + path)
            }
            let user = field("runAsUser")?.intValue
            if field("runAsNonRoot")?.boolValue == true && (user == nil || user == 0) {
                return .refused("container has runAsNonRoot and image will run as root")
            }
            let dropsAll = (c.at("securityContext", "capabilities", "drop")?.arrayValue ?? []).contains("ALL")
            if (user ?? 0) != 0 || dropsAll {
                return .crashed(
                    "chown(\"/var/cache/nginx/client_temp\", 101) failed (1: Operation not permitted)")
            }
        }
        return .running
    }

    /// `nginx` → `docker.io/library/nginx:latest`, `bitnami/x:1` → `docker.io/bitnami/x:1`,
    /// as containerd reports a started container's image (a digest reference keeps its digest).
    static func normalised(_ image: String) -> String {
        var name = image
        var suffix = ""
        if let at = name.firstIndex(of: "@") {
            suffix = String(name[at...])
            name = String(name[..<at])
        }
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let hasDomain =
            parts.count == 2 && (parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost")
        if !hasDomain { name = "docker.io/" + (parts.count == 1 ? "library/" + name : name) }
        let last = name.split(separator: "/").last.map(String.init) ?? name
        if suffix.isEmpty && !last.contains(":") { name += ":latest" }
        return name + suffix
    }

    static func imageID(_ image: String) -> String {
        let n = normalised(image)
        let repo = n.split(separator: "@").first.map(String.init) ?? n
        let bare =
            repo.range(of: ":", options: .backwards).map { r in
                repo[r.lowerBound...].contains("/") ? repo : String(repo[..<r.lowerBound])
            } ?? repo
        return bare + "@sha256:" + SHA256.hex(SHA256.digest(Array(n.utf8)))
    }

    /// Container `c`'s status once the kubelet has tried it; `done` for a Job's finished pod.
    func status(_ c: JSON, pod: JSON, podName: String, done: Bool) -> (status: JSON, log: String) {
        let image = c["image"]?.stringValue ?? ""
        var s: JSON = ["name": c["name"] ?? "", "image": .string(Self.normalised(image)), "restartCount": 0]
        s["imageID"] = .string(Self.imageID(image))
        let started = "kip-sandbox runs no containers: pod \(podName) has no logs\n"
        switch outcome(c, pod: pod) {
        case .running:
            s["ready"] = .bool(!done)
            s["started"] = .bool(!done)
            s["state"] = done ? ["terminated": ["exitCode": 0, "reason": "Completed"]] : ["running": [:]]
            return (s, started)
        case .pullFailed:
            s["image"] = .string(image)
            s["imageID"] = ""
            s["ready"] = false
            s["started"] = false
            s["state"] = [
                "waiting": ["reason": "ImagePullBackOff", "message": "kip-sandbox: image matches --fail-image"]
            ]
            return (s, "")
        case .refused(let why):
            s["image"] = .string(image)
            s["imageID"] = ""
            s["ready"] = false
            s["started"] = false
            s["state"] = [
                "waiting": ["reason": "CreateContainerConfigError", "message": .string("\(why) (pod: \(podName))")]
            ]
            return (s, "")
        case .crashed(let line):
            s["ready"] = false
            s["started"] = false
            s["restartCount"] = 3
            s["lastState"] = ["terminated": ["exitCode": 1, "reason": "Error"]]
            s["state"] = [
                "waiting": [
                    "reason": "CrashLoopBackOff",
                    "message": .string(
                        "back-off 40s restarting failed container=\(c["name"]?.stringValue ?? "") pod=\(podName)"),
                ]
            ]
            return (s, line + "\n")
        }
    }
}
