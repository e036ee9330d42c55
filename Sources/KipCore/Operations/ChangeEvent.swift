import Foundation

/// A change kip makes to an environment, told to the cluster as a Kubernetes Event
/// (`events.k8s.io/v1`) in the environment's namespace, so that `kubectl get events` and
/// cluster tooling see who deployed, promoted, rolled back or protected what.
public struct ChangeEvent: Equatable, Sendable {
    public static let controller = "kipper.run/kip"
    /// The API server's limits (events validation): reason and action 128 bytes, note 1 kB.
    public static let noteLimit = 1024

    public var reason: String
    public var action: String
    /// What it is about: kind, name and namespace (an App, or the environment's Namespace).
    public var kind: String
    public var apiVersion: String
    public var name: String
    public var namespace: String
    public var note: String
    public var warning = false

    public init(
        reason: String, action: String, kind: String = "App", apiVersion: String = Keys.apiVersion, name: String,
        namespace: String, note: String, warning: Bool = false
    ) {
        (self.reason, self.action, self.kind, self.apiVersion, self.name, self.namespace, self.note, self.warning) = (
            reason, action, kind, apiVersion, name, namespace, note, warning
        )
    }

    /// About an app of `scope`.
    public static func app(
        _ reason: String, _ action: String, _ app: String, in namespace: String, note: String, warning: Bool = false
    ) -> ChangeEvent {
        ChangeEvent(reason: reason, action: action, name: app, namespace: namespace, note: note, warning: warning)
    }

    /// `kip app env set` → `EnvSet`: a command's words as an Event's action.
    public static func action(_ command: [String]) -> String {
        command.dropFirst().flatMap { $0.split(separator: "-") }.map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    /// About a service (database) of an environment: its data replaced.
    public static func service(
        _ reason: String, _ action: String, _ service: String, in namespace: String, note: String
    )
        -> ChangeEvent
    {
        ChangeEvent(reason: reason, action: action, kind: "Service", name: service, namespace: namespace, note: note)
    }

    /// About the environment itself (its Namespace).
    public static func environment(_ reason: String, _ action: String, namespace: String, note: String) -> ChangeEvent {
        ChangeEvent(
            reason: reason, action: action, kind: "Namespace", apiVersion: "v1", name: namespace, namespace: namespace,
            note: note)
    }

    /// The Event, named by the server from `<name>.` (`generateName`: unique whoever
    /// writes at the same moment), at `at`, reported by `instance` (who ran kip, as the
    /// API server limits it).
    public func manifest(at: Date, instance: String) -> JSON {
        var regarding: JSON = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name)]
        if kind != "Namespace" { regarding["namespace"] = .string(namespace) }
        var text = note
        if text.utf8.count > Self.noteLimit {
            text = String(decoding: text.utf8.prefix(Self.noteLimit - 3), as: UTF8.self) + "..."
        }
        return [
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": [
                "generateName": .string(String(WorkloadScope.label(name).prefix(57)) + "."),
                "namespace": .string(namespace),
                "labels": [Keys.managedBy: .string(Keys.managedByValue)],
            ],
            "eventTime": .string(Self.microTime(at)), "reportingController": .string(Self.controller),
            "reportingInstance": .string(String(instance.ifEmpty("kip").prefix(128))),
            "action": .string(String(action.prefix(128))), "reason": .string(String(reason.prefix(128))),
            "regarding": regarding, "note": .string(text), "type": .string(warning ? "Warning" : "Normal"),
        ]
    }

    /// RFC 3339 with microseconds, as the API server's MicroTime is written.
    static func microTime(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        let micros = Int((d.timeIntervalSince1970 * 1_000_000).truncatingRemainder(dividingBy: 1_000_000))
        let base = f.string(from: d).dropLast()  // the Z
        return base + "." + String(format: "%06d", max(0, micros)) + "Z"
    }
}
