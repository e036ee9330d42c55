/// `kip function env set|unset` (pure): the function's env vars changed, nothing else of
/// it; the Function CR carries the resourceVersion read, and an Event tells the change.
public enum FunctionEnv {
    /// `set` (when given) adds or replaces those variables; otherwise the names in `unset`
    /// are removed, each of which must be there.
    public static func plan(
        _ name: String, current: JSON, set pairs: [EnvVar]?, unset: [String], _ w: EnvironmentView, command: [String],
        actor: String
    ) throws -> Plan {
        var spec = FunctionSpec(json: current["spec"] ?? [:])
        if let pairs {
            for p in pairs {
                if let i = spec.env.firstIndex(where: { $0.name == p.name }) {
                    spec.env[i] = p
                } else {
                    spec.env.append(p)
                }
            }
        } else {
            for k in unset where !spec.env.contains(where: { $0.name == k }) {
                throw KipError("function \(name) in \(w.scope.namespace) has no env var \(k)")
            }
            spec.env.removeAll { unset.contains($0.name) }
        }
        var cr = Workloads.applyable(current)
        cr["spec"] = spec.json
        var plan = try w.plan(.function, name, [cr])
        plan.changes = [
            ChangeEvent(
                reason: "Changed", action: ChangeEvent.action(command), kind: "Function", name: name,
                namespace: w.scope.namespace, note: "kip \(command.joined(separator: " ")) by \(actor)")
        ]
        return plan
    }
}
