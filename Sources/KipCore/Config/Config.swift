import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `~/.kip/config.json`: the clusters kip knows, the current one, and each cluster's
/// active project.
public struct KipConfig: Codable, Equatable, Sendable {
    public struct Cluster: Codable, Equatable, Sendable {
        public var context: String?
        public var kubeconfig: String?
        /// Cached from the cluster's `kipper-system/kipper-cluster` ConfigMap.
        public var org: String?
        public var domain: String?

        public init(context: String?, kubeconfig: String?, org: String? = nil, domain: String? = nil) {
            self.context = context
            self.kubeconfig = kubeconfig
            self.org = org
            self.domain = domain
        }
    }

    public struct Active: Codable, Equatable, Sendable {
        public var project: String
        public var environment: String?

        public init(project: String, environment: String?) {
            self.project = project
            self.environment = environment
        }

        public var display: String { environment.map { "\(project)/\($0)" } ?? project }
    }

    public var version: Int = 1
    public var currentCluster: String?
    public var clusters: [String: Cluster] = [:]
    /// Active project per cluster name (an implicit cluster is named by its context).
    public var active: [String: Active] = [:]
    /// The active project before the last `kip project use`, per cluster (`use -`).
    public var previous: [String: Active]?

    public init() {}
}

/// Reads and writes the config file: 0700 folder, 0600 file, atomic replace (temp file,
/// fsync, rename), an exclusive lock around read-modify-write so two kip processes never
/// lose each other's change, and a corrupt file reported and left untouched.
public final class ConfigStore {
    public let directory: String
    public var path: String { directory + "/config.json" }
    private var lockPath: String { directory + "/config.lock" }

    public init(directory: String) { self.directory = directory }

    /// `$KIP_HOME`, else `~/.kip`.
    public static func defaultDirectory(env: [String: String]) -> String {
        if let h = env["KIP_HOME"], !h.isEmpty { return h }
        let home = env["HOME"] ?? NSHomeDirectory()
        return home + "/.kip"
    }

    public func load() throws -> KipConfig {
        try checkOwnership()
        guard let data = FileManager.default.contents(atPath: path) else { return KipConfig() }
        do {
            return try JSONDecoder().decode(KipConfig.self, from: data)
        } catch {
            let why: String
            if case DecodingError.dataCorrupted = error { why = "not valid JSON" } else { why = "not a kip config" }
            throw KipError("\(path) is \(why); fix it or move it away (kip will not overwrite it)")
        }
    }

    /// As ssh does with `~/.ssh`: a folder or config another user could replace is not
    /// trusted (it can point kip at a kubeconfig whose exec plugin runs anything). Refused
    /// when not owned by this user or writable by group or others.
    func checkOwnership() throws {
        for (p, what) in [(directory, "the config folder"), (path, "the config file")] {
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK && p == path {
                throw KipError(
                    "\(p) is a symbolic link: kip does not follow one for its config; replace it with the file")
            }
            if st.st_uid != geteuid() {
                throw KipError(
                    "\(what) \(p) belongs to another user (uid \(st.st_uid)): kip does not trust it; set KIP_HOME to a folder of your own"
                )
            }
            if st.st_mode & 0o022 != 0 {
                throw KipError(
                    "\(what) \(p) is writable by others (mode \(String(st.st_mode & 0o777, radix: 8))): kip does not trust it; run 'chmod go-w \(p)'"
                )
            }
        }
    }

    /// Load, change, save, all under the lock. The change may throw: nothing is written.
    @discardableResult
    public func update<T>(_ change: (inout KipConfig) throws -> T) throws -> T {
        try ensureDirectory()
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { throw KipError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw KipError("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var cfg = try load()
        let before = cfg
        let result = try change(&cfg)
        if cfg != before { try write(cfg) }
        return result
    }

    private func ensureDirectory() throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw KipError("\(directory) is not a directory: remove it or set KIP_HOME") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KipError("cannot create \(directory): \(error.localizedDescription)")
        }
        chmod(directory, 0o700)
    }

    private func write(_ cfg: KipConfig) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try enc.encode(cfg)
        data.append(0x0A)
        let tmp = "\(directory)/.config.json.\(getpid()).tmp"
        unlink(tmp)
        let fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw KipError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        fchmod(fd, 0o600)
        let synced = fsync(fd) == 0
        close(fd)
        guard ok, synced, rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw KipError("cannot write \(path): \(why)")
        }
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
