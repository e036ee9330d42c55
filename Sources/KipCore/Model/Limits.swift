import Foundation

/// Sizes that no ordinary cluster holds and that a typo makes (`--replicas 300` for 3,
/// `--size 10Ti` for 10Gi): a command asks before writing them (`--yes` answers).
public enum Limits {
    public static let replicas = 50
    public static let autoscaleMax = 100
    /// Cores, per container.
    public static let cpu: Decimal = 32
    /// Bytes, per container: 64Gi.
    public static let memory: Decimal = 64 * 1024 * 1024 * 1024
    /// Bytes, per volume or database: 1Ti.
    public static let storage: Decimal = 1024 * 1024 * 1024 * 1024

    /// What in these values is beyond the limits above, one phrase each (empty: nothing).
    public static func unusual(
        replicas: Int? = nil, autoscaleMax: Int? = nil, resources: Resources = Resources(), storage: String? = nil
    ) -> [String] {
        var out: [String] = []
        if let r = replicas, r > Self.replicas { out.append("\(r) replicas") }
        if let m = autoscaleMax, m > Self.autoscaleMax { out.append("up to \(m) replicas") }
        for (flag, v) in [("cpu-request", resources.cpuRequest), ("cpu-limit", resources.cpuLimit)] {
            if let v, let n = Quantity.value(v), n > cpu { out.append("\(v) CPU (--\(flag))") }
        }
        for (flag, v) in [("memory-request", resources.memoryRequest), ("memory-limit", resources.memoryLimit)] {
            if let v, let n = Quantity.value(v), n > memory { out.append("\(v) of memory (--\(flag))") }
        }
        if let s = storage, let n = Quantity.value(s), n > Self.storage { out.append("\(s) of storage") }
        return out
    }
}
