import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: volume

    static let volume = CommandSpec(
        "volume", "Persistent volumes apps can mount.",
        subcommands: [
            CommandSpec(
                "add", "Add a volume (a PersistentVolumeClaim), optionally mounting it into an app.",
                arguments: [ArgumentSpec("name", "Volume name.")],
                options: [
                    VolumeOpts.size.spec, VolumeOpts.accessMode.spec, VolumeOpts.storageClass.spec,
                    VolumeOpts.mount.spec, adoptFlag.spec,
                ] + scopeOptions,
                handler: volumeAdd),
            CommandSpec("list", "List the volumes of an environment.", options: scopeOptions, handler: volumeList),
            CommandSpec(
                "mount", "Mount a volume into an app at a path.",
                arguments: [ArgumentSpec("name", "Volume name."), ArgumentSpec("target", "APP:/path.")],
                options: scopeOptions, handler: volumeMount),
            CommandSpec(
                "unmount", "Take a volume out of an app (the data stays).",
                arguments: [ArgumentSpec("name", "Volume name."), ArgumentSpec("app", "App name.")],
                options: scopeOptions, handler: volumeUnmount),
            CommandSpec(
                "delete", "Delete a volume and its data.", arguments: [ArgumentSpec("name", "Volume name.")],
                options: [
                    .value("confirm", "name", "Confirm by naming the volume (for scripts)."),
                    LifecycleCommands.confirmEnv,
                ] + scopeOptions,
                handler: volumeDelete),
        ])

    enum VolumeOpts {
        static let size: Option<String> = {
            var o = Option<String>.quantity("size", "Size (e.g. 1Gi).", valueName: "size", positive: true)
            var spec = o.spec
            spec.required = true
            o = Option(spec, parse: o.parse)
            return o
        }()
        static let mount = ListOption<Mount>.mount("mount", "app:/path", "Mount it into an app at a path.")
        static let accessMode = Option<String>(
            .value(
                "access-mode", "mode",
                "ReadWriteOnce (default: one node, one replica) or ReadWriteMany (every replica; needs a storage class that offers it)."
            )
        ) { v in
            guard VolumeSpec.accessModes.contains(v) else { throw BadValue("use ReadWriteOnce or ReadWriteMany") }
            return v
        }
        static let storageClass = Option<String>.objectName(
            "storage-class", "class", "StorageClass (default: kip install's, else the cluster's).")
    }

    static func volumeAdd(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try Check.name(name, .volume)
        let size = try inv.require(VolumeOpts.size)
        let mounts = try inv.get(VolumeOpts.mount)
        let mode = try inv.get(VolumeOpts.accessMode)
        let storageClass = try inv.get(VolumeOpts.storageClass)
        try ctx.confirmUnusual(Limits.unusual(storage: size), of: "volume \(name)")
        try ctx.run {
            let w = try ctx.environment(inv)
            return Attempt(
                try VolumeAdd.plan(
                    name, VolumeSpec(size: size, accessMode: mode, storageClass: storageClass), mounts: mounts, w,
                    adopt: inv.has(adoptFlag)))
        }
        return 0
    }

    static func volumeMount(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let volume = inv.arguments[0]
        let parts = inv.arguments[1].split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
            throw UsageError(
                message: "The value '\(inv.arguments[1])' is invalid for '<target>': give APP:/path (e.g. api:/data)",
                command: inv.command)
        }
        return try AppCommands.update(inv, ctx, parts[0], reading: ["\(CRDs.volume)/\(volume)"]) { spec, w in
            guard let v = w.cr(.volume, volume) else {
                throw KipError(
                    "volume \"\(volume)\" does not exist in \(w.scope.namespace): add it with 'kip volume add \(volume) --size 1Gi'"
                )
            }
            if let other = spec.volumes.first(where: { $0.path == parts[1] && $0.volume != volume }) {
                throw KipError(
                    "app \(parts[0]) already mounts volume \(other.volume) at \(parts[1]): choose another path")
            }
            spec.volumes =
                spec.volumes.filter { $0.volume != volume }
                + [Mount(volume: volume, path: parts[1], accessMode: VolumeSpec(json: v["spec"] ?? [:]).mountMode)]
        }
    }

    static func volumeUnmount(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let volume = inv.arguments[0]
        return try AppCommands.update(inv, ctx, inv.arguments[1]) { spec, w in
            guard spec.volumes.contains(where: { $0.volume == volume }) else {
                throw KipError("app \(inv.arguments[1]) in \(w.scope.namespace) does not mount volume \(volume)")
            }
            spec.volumes.removeAll { $0.volume == volume }
        }
    }

    static func volumeList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(
            inv, reading: .kinds([WorkloadKind.volume.resource, WorkloadKind.app.resource, "persistentvolumeclaims"]))
        let items = w.crs(.volume)
        return try ctx.showList(
            items, in: w, empty: "No volumes in \(w.scope.namespace). Add one with 'kip volume add NAME --size 1Gi'."
        ) { _ in
            ctx.printer.table(
                ["NAME", "SIZE", "STATUS", "MOUNTED BY"],
                items.map { v in
                    let name = v.at("metadata", "name")?.stringValue ?? ""
                    let by = w.crs(.app).compactMap { a -> String? in
                        guard
                            let m = (a.at("spec", "volumes")?.arrayValue ?? []).first(where: {
                                $0["volume"]?.stringValue == name
                            })
                        else { return nil }
                        return "\(a.at("metadata", "name")?.stringValue ?? ""):\(m["path"]?.stringValue ?? "")"
                    }
                    // The claim's phase: Pending until a volume binds it (no default StorageClass…).
                    let phase = w.native("PersistentVolumeClaim", name).map {
                        $0.at("status", "phase")?.stringValue ?? "Pending"
                    }
                    return [
                        name, v.at("spec", "size")?.stringValue ?? "", phase ?? "missing",
                        by.joined(separator: ",").ifEmpty("-"),
                    ]
                })
        }
    }

    static func volumeDelete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        _ = try w.require(.volume, name)
        let users = w.apps(referencing: name, in: "volumes", key: "volume")
        if !users.isEmpty {
            throw KipError(
                "volume \(name) is mounted by \(users.joined(separator: ", ")): unmount it first ('kip volume unmount \(name) APP')"
            )
        }
        return try ctx.deleteHoldingData(
            w,
            .volume, name,
            warning: ["Deleting volume \(name) in \(w.scope.namespace) destroys its data. This cannot be undone."],
            confirm: inv.value("confirm"))
    }
}
