import Foundation
import KipCore

/// `pods/portforward` as kube-apiserver answers kubectl 1.31+: a WebSocket upgrade to
/// `SPDY/3.1+portforward.k8s.io` whose binary messages carry a SPDY/3.1 byte stream. For
/// each local connection kubectl opens two streams, an error stream then a data stream
/// (each `SYN_STREAM`, answered by a `SYN_REPLY`). No container listens: the data stream
/// is answered by a small echo server that first says which pod and port it is, so tests
/// can see bytes go both ways. The client's compressed header blocks are skipped (the
/// streams' kinds follow from their order, the port from the request); the replies'
/// empty header blocks are zlib stored blocks, which need no compressor.
extension APIServer {
    func portForward(_ req: HTTPRequest, _ t: Target, pod name: String) throws -> HTTPResponse {
        let create = Attributes(
            verb: "create", group: "", resource: "pods", subresource: "portforward", namespace: t.namespace,
            name: name)
        if !allowed(requester, create) { throw Self.forbidden(requester, create) }
        let pod = try get(t.resource, namespace: t.namespace, name: name)
        guard (req.headers["upgrade"] ?? "").lowercased() == "websocket", let wsKey = req.headers["sec-websocket-key"]
        else {
            throw APIError.badRequest("Upgrade request required (kip-sandbox forwards ports over WebSocket only)")
        }
        let proto = "SPDY/3.1+portforward.k8s.io"
        let offered = (req.headers["sec-websocket-protocol"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard offered.contains(proto) else {
            throw APIError.badRequest("kip-sandbox: port forwarding needs the \(proto) protocol")
        }
        guard pod.at("status", "phase")?.stringValue == "Running" else {
            throw APIError.badRequest("pod \(name) is not running")
        }
        // The port a stream asks for travels in its compressed headers, which kip-sandbox
        // does not read: the banner names the container's first declared port.
        let port =
            (pod.at("spec", "containers")?.arrayValue ?? []).compactMap {
                $0["ports"]?.arrayValue?.first?["containerPort"]?.intValue
            }.first.map(String.init) ?? "?"
        var resp = HTTPResponse(status: 101, body: Data())
        resp.headers = [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", WebSocketConnection.accept(key: wsKey)), ("Sec-WebSocket-Protocol", proto),
        ]
        resp.takeover = { fd, leftover in
            var session = SPDYSession(ws: WebSocketConnection(fd: fd, leftover: leftover), pod: name, port: port)
            session.run()
        }
        return resp
    }
}

/// The server end of one tunnelled SPDY/3.1 connection.
struct SPDYSession {
    let ws: WebSocketConnection
    let pod: String
    let port: String
    var input: [UInt8] = []
    /// Data streams, by id; every other stream is an error stream.
    var data: Set<UInt32> = []
    var streams = 0
    var compressing = false

    init(ws: WebSocketConnection, pod: String, port: String) {
        self.ws = ws
        self.pod = pod
        self.port = port
    }

    static func u32(_ b: ArraySlice<UInt8>) -> UInt32 {
        b.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func bytes(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> UInt32($0)) & 0xFF) } }

    /// One frame: a control frame (`type`) or a data frame (`stream`), with flags.
    func send(control type: UInt16? = nil, stream: UInt32 = 0, flags: UInt8 = 0, _ payload: [UInt8]) {
        var frame: [UInt8]
        if let type {
            frame = [0x80, 0x03, UInt8(type >> 8), UInt8(type & 0xFF)]
        } else {
            frame = Self.bytes(stream & 0x7FFF_FFFF)
        }
        frame += [flags] + Self.bytes(UInt32(payload.count)).suffix(3)
        ws.send(frame + payload)
    }

    /// An empty header block: a count of 0 pairs in a zlib stored block, then an empty
    /// one (a sync flush, which makes the reader hand the data over), the stream's
    /// two-byte zlib header first, once: no preset dictionary is needed to read it.
    mutating func emptyHeaders() -> [UInt8] {
        let block: [UInt8] = [0, 0, 0, 0]
        var out: [UInt8] = compressing ? [] : [0x78, 0x01]
        compressing = true
        out += [0x00, UInt8(block.count & 0xFF), UInt8(block.count >> 8)]
        out += [UInt8(~block.count & 0xFF), UInt8((~block.count >> 8) & 0xFF)]
        return out + block + [0x00, 0x00, 0x00, 0xFF, 0xFF]
    }

    mutating func run() {
        while let message = ws.receive() {
            input += message
            while input.count >= 8 {
                let length = Int(Self.u32(input[4..<8]) & 0x00FF_FFFF)
                guard input.count >= 8 + length else { break }
                let head = Array(input[0..<8])
                let payload = Array(input[8..<(8 + length)])
                input.removeFirst(8 + length)
                if !handle(head, payload) {
                    ws.close()
                    return
                }
            }
        }
    }

    /// One frame from the client; false once the connection is done.
    mutating func handle(_ head: [UInt8], _ payload: [UInt8]) -> Bool {
        let flags = head[4]
        if head[0] & 0x80 == 0 {
            let id = Self.u32(head[0..<4]) & 0x7FFF_FFFF
            guard data.contains(id) else { return true }
            if !payload.isEmpty { send(stream: id, payload) }
            if flags & 0x01 != 0 {
                // The local side is done: so is the echo, and the error stream with it.
                send(stream: id, flags: 0x01, [])
                send(stream: id - 2, flags: 0x01, [])
                data.remove(id)
            }
            return true
        }
        switch UInt16(head[2]) << 8 | UInt16(head[3]) {
        case 1:  // SYN_STREAM: an error stream, then its data stream.
            let id = Self.u32(payload[0..<4]) & 0x7FFF_FFFF
            let isData = streams % 2 == 1
            streams += 1
            send(control: 2, Self.bytes(id) + emptyHeaders())
            if isData {
                data.insert(id)
                send(stream: id, Array("kip-sandbox: pod \(pod) port \(port)\n".utf8))
            }
        case 6:  // PING: answered with the same id.
            send(control: 6, payload)
        case 7:  // GOAWAY
            return false
        default:  // SETTINGS, RST_STREAM, HEADERS, WINDOW_UPDATE
            break
        }
        return true
    }
}
