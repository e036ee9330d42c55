/// Kubernetes' name and label syntax, shared by kip's own checks and the sandbox's
/// validation so that both say the same thing about the same input.
public enum DNS {
    public static let labelMax = 63
    public static let subdomainMax = 253

    private static func isLowerAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "0" && c <= "9")
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        isLowerAlnum(c) || (c >= "A" && c <= "Z")
    }

    /// RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, ≤63.
    public static func isLabel(_ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        guard !u.isEmpty, u.count <= labelMax, isLowerAlnum(u.first!), isLowerAlnum(u.last!) else { return false }
        return u.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    /// RFC 1123 subdomain: dot-separated labels, ≤253.
    public static func isSubdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= subdomainMax else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            let u = Array($0.unicodeScalars)
            guard !u.isEmpty, isLowerAlnum(u.first!), isLowerAlnum(u.last!) else { return false }
            return u.allSatisfy { isLowerAlnum($0) || $0 == "-" }
        }
    }

    /// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
    public static func isDNS1035Label(_ s: String) -> Bool {
        guard isLabel(s), let f = s.unicodeScalars.first else { return false }
        return f >= "a" && f <= "z"
    }

    /// A label or annotation name part: ≤63, alphanumeric at both ends, `-_.` inside.
    public static func isQualifiedNamePart(_ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        guard !u.isEmpty, u.count <= labelMax, isAlnum(u.first!), isAlnum(u.last!) else { return false }
        return u.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// A label key: `[prefix/]name` with a DNS subdomain prefix.
    public static func isLabelKey(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isQualifiedNamePart(s)
        case 2: return isSubdomain(String(parts[0])) && isQualifiedNamePart(String(parts[1]))
        default: return false
        }
    }

    /// A label value: empty, or a qualified name part.
    public static func isLabelValue(_ s: String) -> Bool { s.isEmpty || isQualifiedNamePart(s) }

    /// The API server's sentence for a bad RFC 1123 label, so kip and the server agree.
    public static func labelMessage(_ s: String) -> String {
        if s.count > labelMax { return "must be no more than 63 characters" }
        return
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    }

    public static func subdomainMessage(_ s: String) -> String {
        if s.count > subdomainMax { return "must be no more than 253 characters" }
        return
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    }
}
