import KipCore

/// Pod Security admission, as kube-apiserver applies it when a controller creates a pod
/// in a namespace labelled `pod-security.kubernetes.io/enforce`: the checks of the
/// `baseline` and `restricted` levels kip's objects can meet, in the API server's words.
enum PodSecurity {
    /// What `spec` (a pod spec) violates at `level`; empty when admitted.
    static func violations(_ spec: JSON, level: String) -> [String] {
        guard level == "baseline" || level == "restricted" else { return [] }
        let containers = (spec["initContainers"]?.arrayValue ?? []) + (spec["containers"]?.arrayValue ?? [])
        func names(_ cs: [JSON]) -> String {
            cs.compactMap { $0["name"]?.stringValue }.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        func containersWord(_ cs: [JSON]) -> String { cs.count == 1 ? "container" : "containers" }
        var out: [String] = []
        // Baseline.
        let privileged = containers.filter { $0.at("securityContext", "privileged")?.boolValue == true }
        if !privileged.isEmpty {
            out.append(
                "privileged (\(containersWord(privileged)) \(names(privileged)) must not set securityContext.privileged=true)"
            )
        }
        for k in ["hostNetwork", "hostPID", "hostIPC"] where spec[k]?.boolValue == true {
            out.append("host namespaces (\(k)=true)")
        }
        let hostPaths = (spec["volumes"]?.arrayValue ?? []).filter { $0["hostPath"] != nil }
        if !hostPaths.isEmpty {
            out.append("hostPath volumes (volumes \(names(hostPaths)))")
        }
        guard level == "restricted" else { return out }
        // Restricted.
        let escalating = containers.filter { $0.at("securityContext", "allowPrivilegeEscalation")?.boolValue != false }
        if !escalating.isEmpty {
            out.append(
                "allowPrivilegeEscalation != false (\(containersWord(escalating)) \(names(escalating)) must set securityContext.allowPrivilegeEscalation=false)"
            )
        }
        let capable = containers.filter {
            !($0.at("securityContext", "capabilities", "drop")?.arrayValue ?? []).contains("ALL")
        }
        if !capable.isEmpty {
            out.append(
                "unrestricted capabilities (\(containersWord(capable)) \(names(capable)) must set securityContext.capabilities.drop=[\"ALL\"])"
            )
        }
        let podNonRoot = spec.at("securityContext", "runAsNonRoot")?.boolValue == true
        let rooted = containers.filter {
            let own = $0.at("securityContext", "runAsNonRoot")?.boolValue
            return own == false || (own == nil && !podNonRoot)
        }
        if !rooted.isEmpty {
            out.append(
                "runAsNonRoot != true (pod or \(containersWord(rooted)) \(names(rooted)) must set securityContext.runAsNonRoot=true)"
            )
        }
        let podSeccomp = spec.at("securityContext", "seccompProfile", "type")?.stringValue
        let unconfined = containers.filter {
            let t = $0.at("securityContext", "seccompProfile", "type")?.stringValue ?? podSeccomp
            return t != "RuntimeDefault" && t != "Localhost"
        }
        if !unconfined.isEmpty {
            out.append(
                "seccompProfile (pod or \(containersWord(unconfined)) \(names(unconfined)) must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
            )
        }
        return out
    }
}
