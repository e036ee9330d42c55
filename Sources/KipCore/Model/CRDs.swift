/// The CustomResourceDefinitions of `kipper.run/v1alpha1` that `kip install` applies,
/// with structural OpenAPI schemas so the API server validates what kip (or anyone
/// with kubectl) writes.
public enum CRDs {
    static func str(_ description: String, pattern: String? = nil) -> JSON {
        var s: JSON = ["type": "string", "description": .string(description)]
        if let pattern { s["pattern"] = .string(pattern) }
        return s
    }
    static func int(_ description: String, min: Int? = nil, max: Int? = nil) -> JSON {
        var s: JSON = ["type": "integer", "description": .string(description)]
        if let min { s["minimum"] = .int(min) }
        if let max { s["maximum"] = .int(max) }
        return s
    }
    static func bool(_ description: String) -> JSON { ["type": "boolean", "description": .string(description)] }
    static let accessMode: JSON = [
        "type": "string", "enum": ["ReadWriteOnce", "ReadWriteMany"],
        "description": "Access mode: ReadWriteOnce (one node at a time) or ReadWriteMany.",
    ]
    static func obj(_ props: [String: JSON], required: [String] = [], _ description: String = "") -> JSON {
        var s: JSON = ["type": "object", "properties": .object(props)]
        if !required.isEmpty { s["required"] = JSON.strings(required) }
        if !description.isEmpty { s["description"] = .string(description) }
        return s
    }
    static func arr(_ items: JSON, _ description: String = "") -> JSON {
        var s: JSON = ["type": "array", "items": items]
        if !description.isEmpty { s["description"] = .string(description) }
        return s
    }

    static let dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    static let quantity = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"

    static let envVar = obj(["name": str("Variable name."), "value": str("Value.")], required: ["name"])
    static let resources = obj([
        "cpuRequest": str("CPU request, e.g. 100m.", pattern: quantity),
        "cpuLimit": str("CPU limit.", pattern: quantity),
        "memoryRequest": str("Memory request, e.g. 128Mi.", pattern: quantity),
        "memoryLimit": str("Memory limit, e.g. 256Mi.", pattern: quantity),
    ])
    static let status: JSON = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]

    static let schemas: [(kind: String, plural: String, scope: String, short: [String], columns: [JSON], spec: JSON)] =
        [
            (
                "Project", "projects", "Cluster", ["kproj"],
                [
                    ["name": "Display", "type": "string", "jsonPath": ".spec.displayName"]
                ],
                obj(
                    [
                        "displayName": str("Human-readable name for consoles."),
                        "environments": arr(
                            obj(
                                [
                                    "name": str("Environment name.", pattern: dnsLabel),
                                    "namespace": str("Namespace of the environment.", pattern: dnsLabel),
                                    "protected": bool("Destructive commands need the environment named."),
                                    "expiresAt": [
                                        "type": "string", "format": "date-time",
                                        "description": "When 'kip project gc' removes it (RFC 3339).",
                                    ],
                                    "preview": bool("A preview environment: not a stage of the pipeline."),
                                    "requireApproval": bool("Promotions into it need an approval."),
                                    "quota": [
                                        "type": "object",
                                        "additionalProperties": str("A quantity.", pattern: quantity),
                                        "description":
                                            "Its own ResourceQuota keys (requests.cpu, pods, ...), over the install's.",
                                    ],
                                ],
                                required: ["name", "namespace"]), "Environments in pipeline order."),
                        "members": arr(
                            obj(
                                [
                                    "kind": [
                                        "type": "string", "enum": ["User", "Group"], "description": "User or Group.",
                                    ],
                                    "name": str("User or group name."),
                                    "role": [
                                        "type": "string", "enum": ["viewer", "developer", "admin"],
                                        "description": "kip role.",
                                    ],
                                ], required: ["kind", "name", "role"]),
                            "Default members: granted in every environment, those added later included."),
                        "env": arr(
                            obj(["name": str("Variable name."), "value": str("Its value.")], required: ["name"]),
                            "Variables every app of every environment gets unless it sets its own."),
                    ], required: ["environments"])
            ),
            (
                "App", "apps", "Namespaced", ["kapp"],
                [
                    ["name": "Image", "type": "string", "jsonPath": ".spec.image"],
                    ["name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"],
                ],
                obj(
                    [
                        "image": str("Container image reference."), "port": int("Container port.", min: 1, max: 65535),
                        "replicas": int("Replica count.", min: 0),
                        "env": arr(envVar), "secretEnv": arr(str("Keys of the app's secret exposed as variables.")),
                        "resources": resources,
                        "autoscale": obj(
                            [
                                "min": int("Minimum replicas.", min: 1), "max": int("Maximum replicas.", min: 1),
                                "cpuPercent": int("Target CPU utilisation.", min: 1, max: 100),
                            ], required: ["min", "max"]),
                        "route": obj(["host": str("Public hostname.")], required: ["host"]),
                        "bindings": arr(
                            obj(
                                [
                                    "service": str("Service short name.", pattern: dnsLabel),
                                    "prefix": str("Variable prefix."),
                                ], required: ["service"])),
                        "volumes": arr(
                            obj(
                                [
                                    "volume": str("Volume name.", pattern: dnsLabel), "path": str("Mount path."),
                                    "accessMode": accessMode,
                                ],
                                required: ["volume", "path"])),
                        "runAsNonRoot": bool("Refuse to start the container as root."),
                        "securityDefaults": bool(
                            "true: the hardened defaults (no privilege escalation, no capabilities, seccomp); false or absent: as the image runs."
                        ),
                        "runAsUser": int("The user id the container runs as.", min: 0),
                    ], required: ["image"])
            ),
            (
                "Service", "services", "Namespaced", ["kipsvc"],
                [
                    ["name": "Type", "type": "string", "jsonPath": ".spec.type"],
                    ["name": "Version", "type": "string", "jsonPath": ".spec.version"],
                    ["name": "Storage", "type": "string", "jsonPath": ".spec.storage"],
                ],
                obj(
                    [
                        "type": [
                            "type": "string", "enum": ["postgres", "mysql", "redis"],
                            "description": "Database or cache type.",
                        ],
                        "version": str("Engine version."), "storage": str("Storage size, e.g. 1Gi.", pattern: quantity),
                        "storageClass": str("StorageClass of the data volume (default: the cluster's)."),
                    ], required: ["type"])
            ),
            (
                "Volume", "volumes", "Namespaced", ["kvol"],
                [["name": "Size", "type": "string", "jsonPath": ".spec.size"]],
                obj(
                    [
                        "size": str("Size, e.g. 1Gi.", pattern: quantity), "accessMode": accessMode,
                        "storageClass": str("StorageClass (default: the cluster's)."),
                    ], required: ["size"])
            ),
            (
                "Function", "functions", "Namespaced", ["kfn"],
                [["name": "Image", "type": "string", "jsonPath": ".spec.image"]],
                obj(
                    [
                        "image": str("Container image reference."), "port": int("Container port.", min: 1, max: 65535),
                        "env": arr(envVar),
                    ], required: ["image"])
            ),
            (
                "RouteClaim", "routeclaims", "Cluster", ["kroute"],
                [
                    ["name": "Project", "type": "string", "jsonPath": ".spec.project"],
                    ["name": "Environment", "type": "string", "jsonPath": ".spec.environment"],
                    ["name": "App", "type": "string", "jsonPath": ".spec.app"],
                ],
                obj(
                    [
                        "project": str("Project whose app holds the host.", pattern: dnsLabel),
                        "environment": str("Its environment.", pattern: dnsLabel),
                        "app": str("The app.", pattern: dnsLabel),
                    ], required: ["project", "environment", "app"],
                    "A public hostname, held by one app: named by the host, created once, never changed.")
            ),
            (
                "Approval", "approvals", "Namespaced", ["kappr"],
                [
                    ["name": "App", "type": "string", "jsonPath": ".spec.app"],
                    ["name": "Image", "type": "string", "jsonPath": ".spec.image"],
                    ["name": "By", "type": "string", "jsonPath": ".spec.approvedBy"],
                ],
                obj(
                    [
                        "app": str("The app whose promotion is approved.", pattern: dnsLabel),
                        "image": str("The image it may be promoted with."),
                        "approvedBy": str("Who approved it, as the API server knows them."),
                        "approvedAt": ["type": "string", "format": "date-time", "description": "When (RFC 3339)."],
                    ], required: ["app", "image", "approvedBy"],
                    "One promotion into an environment that requires approvals, allowed once; the promotion that uses it deletes it."
                )
            ),
            (
                "Job", "jobs", "Namespaced", ["kjob"],
                [["name": "Schedule", "type": "string", "jsonPath": ".spec.schedule"]],
                obj(
                    [
                        "image": str("Container image reference."),
                        "schedule": str("Cron schedule; none for a one-off Job."), "command": arr(str("Argument.")),
                        "env": arr(envVar),
                    ], required: ["image"])
            ),
        ]

    public static var all: [JSON] {
        schemas.map { s in
            let singular = s.kind.lowercased()
            let root = obj(["spec": s.spec, "status": status], required: ["spec"])
            return [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": [
                    "name": .string("\(s.plural).\(Keys.group)"),
                    "labels": [Keys.managedBy: .string(Keys.managedByValue)],
                ],
                "spec": [
                    "group": .string(Keys.group), "scope": .string(s.scope),
                    "names": [
                        "kind": .string(s.kind), "plural": .string(s.plural), "singular": .string(singular),
                        "listKind": .string(s.kind + "List"), "shortNames": JSON.strings(s.short),
                        "categories": ["kip"],
                    ],
                    "versions": [
                        [
                            "name": .string(Keys.version), "served": true, "storage": true,
                            "schema": ["openAPIV3Schema": root],
                            "additionalPrinterColumns": .array(
                                s.columns + [
                                    ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"]
                                ]),
                        ]
                    ],
                ],
            ]
        }
    }

    /// `kubectl get` names for kip's kinds, fully qualified so that `services` and `jobs`
    /// never mean the built-in ones.
    public static let project = "projects.v1alpha1.kipper.run"
    public static let app = "apps.v1alpha1.kipper.run"
    public static let service = "services.v1alpha1.kipper.run"
    public static let volume = "volumes.v1alpha1.kipper.run"
    public static let function = "functions.v1alpha1.kipper.run"
    public static let job = "jobs.v1alpha1.kipper.run"
    public static let routeClaim = "routeclaims.v1alpha1.kipper.run"
    public static let approval = "approvals.v1alpha1.kipper.run"
    public static let workloadKinds = [app, service, volume, function, job]
}
