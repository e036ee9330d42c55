import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One parsed HTTP/1.1 request.
public struct HTTPRequest {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var rawQuery: String
    public var headers: [String: String]  // lower-cased names
    public var body: Data
}

public struct HTTPResponse {
    public var status: Int
    public var contentType: String = "application/json"
    public var body: Data
    /// Further headers. Without a `Cache-Control` of its own a response says `no-cache,
    /// private`, as kube-apiserver's filter does.
    public var headers: [(String, String)] = []
    /// For a `101 Switching Protocols`: what then speaks on the connection, given its
    /// socket and the bytes already read past the request.
    public var takeover: ((Int32, [UInt8]) -> Void)? = nil

    public init(status: Int, contentType: String = "application/json", body: Data, headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }
}

/// A small blocking HTTP/1.1 server: a thread per connection, keep-alive, `Content-Length`
/// and chunked request bodies. Enough for kubectl, which is all it serves.
public final class HTTPServer: @unchecked Sendable {
    public let port: Int
    private let fd: Int32
    private let handler: (HTTPRequest) -> HTTPResponse

    public init(port: Int, handler: @escaping (HTTPRequest) -> HTTPResponse) throws {
        self.handler = handler
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw SandboxError.io("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let msg = String(cString: strerror(errno))
            close(s)
            throw SandboxError.io("cannot listen on 127.0.0.1:\(port): \(msg)")
        }
        guard listen(s, 512) == 0 else {
            close(s)
            throw SandboxError.io("listen: \(String(cString: strerror(errno)))")
        }
        var got = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &got) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
        }
        self.port = Int(UInt16(bigEndian: got.sin_port))
        self.fd = s
    }

    /// Accepts connections on a background thread until the process ends.
    public func start() {
        let t = Thread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                var one: Int32 = 1
                setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                let ct = Thread { [self] in serve(c) }
                ct.stackSize = 1 << 20
                ct.start()
            }
        }
        t.start()
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var buf = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            buf.append(contentsOf: chunk[0..<n])
            return true
        }
        while true {
            // Headers.
            var headerEnd: Int? = nil
            while headerEnd == nil {
                headerEnd = find(buf, [13, 10, 13, 10])
                if headerEnd == nil { if !fill() { return } }
            }
            let head = String(decoding: buf[0..<headerEnd!], as: UTF8.self)
            buf.removeFirst(headerEnd! + 4)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [String: String] = [:]
            for l in lines {
                guard let colon = l.firstIndex(of: ":") else { continue }
                headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            // Body.
            var body = Data()
            if let lenText = headers["content-length"], let len = Int(lenText) {
                while buf.count < len { if !fill() { return } }
                body = Data(buf[0..<len])
                buf.removeFirst(len)
            } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
                while true {
                    var lineEnd = find(buf, [13, 10])
                    while lineEnd == nil {
                        if !fill() { return }
                        lineEnd = find(buf, [13, 10])
                    }
                    let sizeText = String(decoding: buf[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                    let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                    buf.removeFirst(lineEnd! + 2)
                    while buf.count < size + 2 { if !fill() { return } }
                    body.append(contentsOf: buf[0..<size])
                    buf.removeFirst(size + 2)
                    if size == 0 { break }
                }
            }
            let target = String(requestLine[1])
            var path = target
            var rawQuery = ""
            if let q = target.firstIndex(of: "?") {
                path = String(target[..<q])
                rawQuery = String(target[target.index(after: q)...])
            }
            var query: [String: String] = [:]
            for pair in rawQuery.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                let k = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let v =
                    kv.count > 1
                    ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
                query[k] = v
            }
            let req = HTTPRequest(
                method: String(requestLine[0]), path: path.removingPercentEncoding ?? path, query: query,
                rawQuery: rawQuery, headers: headers, body: body)
            let resp = handler(req)
            if resp.status == 101, let takeover = resp.takeover {
                var out = "HTTP/1.1 101 Switching Protocols\r\n"
                for (k, v) in resp.headers { out += "\(k): \(v)\r\n" }
                out += "\r\n"
                if !sendAll(c, Array(out.utf8)) { return }
                takeover(c, buf)
                return
            }
            var out = "HTTP/1.1 \(resp.status) \(reasonPhrase(resp.status))\r\n"
            out += "Content-Type: \(resp.contentType)\r\n"
            out += "Content-Length: \(resp.body.count)\r\n"
            out += "Date: \(httpDate(Date()))\r\n"
            if !resp.headers.contains(where: { $0.0.lowercased() == "cache-control" }) {
                out += "Cache-Control: no-cache, private\r\n"
            }
            for (k, v) in resp.headers { out += "\(k): \(v)\r\n" }
            let closeAfter = headers["connection"]?.lowercased() == "close"
            if closeAfter { out += "Connection: close\r\n" }
            out += "\r\n"
            var bytes = Array(out.utf8)
            bytes.append(contentsOf: resp.body)
            if !sendAll(c, bytes) { return }
            if closeAfter { return }
        }
    }

    private func sendAll(_ c: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] {
                var ok = true
                for k in 1..<needle.count where hay[i + k] != needle[k] {
                    ok = false
                    break
                }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }
}

/// An HTTP date (RFC 7231 IMF-fixdate): without `Date`, an HTTP cache cannot tell
/// whether a response is still fresh.
func httpDate(_ d: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return f.string(from: d)
}

func reasonPhrase(_ s: Int) -> String {
    switch s {
    case 200: return "OK"
    case 201: return "Created"
    case 400: return "Bad Request"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 406: return "Not Acceptable"
    case 409: return "Conflict"
    case 415: return "Unsupported Media Type"
    case 422: return "Unprocessable Entity"
    case 429: return "Too Many Requests"
    case 500: return "Internal Server Error"
    case 503: return "Service Unavailable"
    default: return "Status"
    }
}

public enum SandboxError: Error, CustomStringConvertible {
    case io(String)
    case usage(String)
    public var description: String {
        switch self {
        case .io(let s), .usage(let s): return s
        }
    }
}
