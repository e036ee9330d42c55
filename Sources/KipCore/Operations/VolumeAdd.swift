import Foundation

/// `kip volume add NAME --size SIZE [--mount APP:/path …]`: a volume, or one that exists
/// again (its size, access mode and class are fixed), mounted into apps.
public enum VolumeAdd {
    public static func plan(_ name: String, _ given: VolumeSpec, mounts: [Mount], _ w: EnvironmentView, adopt: Bool)
        throws -> Plan
    {
        var spec = given
        let (size, mode, storageClass) = (given.size, given.accessMode, given.storageClass)
        if let old = w.cr(.volume, name).map({ VolumeSpec(json: $0["spec"] ?? [:]) }) {
            if old.size != size {
                throw KipError("volume \(name) is \(old.size); the size of an existing volume cannot change here")
            }
            // A claim's access mode and class are fixed when it is made.
            if let mode, mode != (old.accessMode ?? VolumeSpec.readWriteOnce) {
                throw KipError(
                    "volume \(name) is \(old.accessMode ?? VolumeSpec.readWriteOnce); the access mode of an existing volume cannot change"
                )
            }
            if let storageClass, storageClass != old.storageClass {
                throw KipError(
                    "volume \(name) is in storage class \(old.storageClass ?? "(the cluster's default)"); it cannot move to \(storageClass)"
                )
            }
            spec = old
        } else if spec.storageClass == nil {
            spec.storageClass = w.scope.cluster.storageClass
        }
        var crs = [Workloads.cr(.volume, name, w.scope, spec: spec.json)]
        for m in mounts {
            // A mount reads `app:/path`: the name part is the app.
            let app = try w.require(.app, m.volume)
            var appSpec = AppSpec(json: app["spec"] ?? [:])
            appSpec.volumes =
                appSpec.volumes.filter { $0.volume != name && $0.path != m.path }
                + [Mount(volume: name, path: m.path, accessMode: spec.mountMode)]
            if let p = appSpec.problem { throw KipError("app \(m.volume): \(p)") }
            crs.append(Workloads.app(m.volume, w.scope, spec: appSpec, replacing: app))
        }
        var plan = try w.plan(.volume, name, crs, adopt: adopt)
        plan.report += mounts.map { .info("  mounted into app \($0.volume)") }
        return plan
    }
}
