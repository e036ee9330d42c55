/// Label and annotation keys kip writes, in one place.
public enum Keys {
    public static let group = "kipper.run"
    public static let version = "v1alpha1"
    public static let apiVersion = "kipper.run/v1alpha1"

    public static let managedBy = "app.kubernetes.io/managed-by"
    public static let managedByValue = "kip"
    public static let project = "kipper.run/project"
    public static let environment = "kipper.run/environment"
    public static let envOrder = "kipper.run/env-order"
    public static let pullSecretSource = "kipper.run/pull-secret-source"
    /// On a member's RoleBinding: `all` when granted to every environment.
    public static let grant = "kipper.run/grant"
    public static let displayName = "kipper.run/display-name"

    public static let promotedFrom = "kipper.run/promoted-from"
    public static let promotedAt = "kipper.run/promoted-at"
    public static let promotedImage = "kipper.run/promoted-image"

    /// Where the cluster's settings live: annotations of this namespace (see README).
    public static let systemNamespace = "kipper-system"
    public static let orgAnnotation = "kipper.run/org"
    public static let domainAnnotation = "kipper.run/domain"
    public static let ingressClassAnnotation = "kipper.run/ingress-class"
    public static let tlsSecretAnnotation = "kipper.run/tls-secret"
    public static let clusterIssuerAnnotation = "kipper.run/cluster-issuer"
    public static let storageClassAnnotation = "kipper.run/storage-class"
    public static let podSecurityAnnotation = "kipper.run/pod-security"
    public static let clusterDomainAnnotation = "kipper.run/cluster-domain"
    public static let readersAnnotation = "kipper.run/readers"
    public static let ingressNamespaceAnnotation = "kipper.run/ingress-namespace"
    public static let isolationAnnotation = "kipper.run/isolation"
    public static let quotaAnnotation = "kipper.run/quota"

    /// On an App CR and its pod template: a hash of the app's secret values and of the
    /// credentials it is bound to, so that changing one rolls the app's pods.
    public static let configHash = "kipper.run/config-hash"
    /// On an app's Secret: the salt of its configuration hash, which only those who can
    /// read the Secret see.
    public static let configSalt = "kipper.run/config-salt"
    /// On a copy of the TLS certificate in an environment.
    public static let tlsSecretSource = "kipper.run/tls-secret-source"
    public static let certManagerIssuer = "cert-manager.io/cluster-issuer"
    public static let podSecurityEnforce = "pod-security.kubernetes.io/enforce"
    public static let podSecurityWarn = "pod-security.kubernetes.io/warn"
}

/// Names of the Secrets kip derives from a workload's name.
public enum SecretNames {
    /// An app's own secrets (`kip app secret set`), exposed to it through `envFrom`.
    public static func app(_ app: String) -> String { "\(app)-secrets" }
    /// A service's generated credentials, which bindings reference.
    public static func credentials(_ service: String) -> String { "\(service)-credentials" }
}

/// Project, environment and namespace naming rules (design §4).
public enum Naming {
    public static let defaultEnvironment = "default"

    /// `[org-]project[-env]`; no suffix for the single `default` environment, and never a
    /// second org prefix on a project whose code already starts with it.
    public static func namespace(org: String?, project: String, environment: String) -> String {
        var base = project
        if let org, !org.isEmpty, !project.hasPrefix(org + "-") { base = org + "-" + project }
        return environment == defaultEnvironment ? base : base + "-" + environment
    }

    /// A reason the project code is unusable, or nil.
    public static func checkProject(_ name: String) -> String? {
        if name.isEmpty { return "project name is empty" }
        if !DNS.isLabel(name) {
            if name.count > DNS.labelMax {
                return "project name '\(name)' is \(name.count) characters; the limit is 63"
            }
            return
                "project name '\(name)' is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. yourr-name)"
        }
        return nil
    }

    public static func checkEnvironment(_ name: String) -> String? {
        if name.isEmpty { return "environment name is empty" }
        if !DNS.isLabel(name) {
            return
                "environment name '\(name)' is not a DNS-1123 label: use lower-case letters, digits and '-' (e.g. test, acc, prod)"
        }
        return nil
    }

    /// Checks a whole pipeline and the namespaces it resolves to; the first problem, or nil.
    public static func checkPipeline(org: String?, project: String, environments: [String]) -> String? {
        if let p = checkProject(project) { return p }
        if environments.isEmpty { return "a project needs at least one environment" }
        var seen = Set<String>()
        for e in environments {
            if let p = checkEnvironment(e) { return p }
            if !seen.insert(e).inserted { return "environment '\(e)' is listed twice" }
        }
        if environments.count > 1, environments.contains(defaultEnvironment) {
            return
                "'default' names the single environment of a simple project; name the environments of a pipeline (e.g. test,acc,prod)"
        }
        for e in environments {
            let ns = namespace(org: org, project: project, environment: e)
            if ns.count > DNS.labelMax {
                return
                    "namespace '\(ns)' would be \(ns.count) characters; Kubernetes allows 63: use a shorter project or environment name"
            }
        }
        return nil
    }
}

/// Environment variable names as Kubernetes accepts them.
public enum EnvNames {
    public static func problem(_ k: String) -> String? {
        let ok =
            !k.isEmpty && !(k.first!.isNumber)
            && k.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "."
                    || $0 == "-"
            }
        return ok
            ? nil
            : "'\(k)' is not a valid variable name: use letters, digits, '_', '-' or '.', not starting with a digit"
    }
}

extension String {
    /// `s` in place of an empty string (a table cell, a message).
    public func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
