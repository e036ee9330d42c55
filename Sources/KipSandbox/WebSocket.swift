import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The server end of one WebSocket connection (RFC 6455) on a socket the HTTP server has
/// handed over after its `101 Switching Protocols`: whole messages in, unmasked frames
/// out, pings answered. Enough for kubectl's exec streams.
final class WebSocketConnection {
    private let fd: Int32
    private var buffer: [UInt8]
    private(set) var closed = false

    init(fd: Int32, leftover: [UInt8]) {
        self.fd = fd
        self.buffer = leftover
    }

    /// The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`.
    static func accept(key: String) -> String {
        Data(SHA1.digest(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    private func fill(_ count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while buffer.count < count {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
        }
        return true
    }

    /// The next data message (its frames joined), or nil once the peer closed.
    func receive() -> [UInt8]? {
        var message: [UInt8] = []
        while !closed {
            guard fill(2) else { return nil }
            let fin = buffer[0] & 0x80 != 0
            let opcode = buffer[0] & 0x0F
            let masked = buffer[1] & 0x80 != 0
            var length = Int(buffer[1] & 0x7F)
            var header = 2
            if length == 126 {
                guard fill(4) else { return nil }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                header = 4
            } else if length == 127 {
                guard fill(10) else { return nil }
                length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
                header = 10
            }
            let maskLength = masked ? 4 : 0
            guard fill(header + maskLength + length) else { return nil }
            let mask = Array(buffer[header..<(header + maskLength)])
            var payload = Array(buffer[(header + maskLength)..<(header + maskLength + length)])
            if masked { for i in payload.indices { payload[i] ^= mask[i % 4] } }
            buffer.removeFirst(header + maskLength + length)
            switch opcode {
            case 0x8:
                send(opcode: 0x8, payload)
                closed = true
                return nil
            case 0x9: send(opcode: 0xA, payload)
            case 0xA: continue
            default:
                message.append(contentsOf: payload)
                if fin { return message }
            }
        }
        return nil
    }

    /// One unfragmented frame: binary data unless `opcode` says otherwise.
    @discardableResult
    func send(opcode: UInt8 = 0x2, _ payload: [UInt8]) -> Bool {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        frame += payload
        var off = 0
        while off < frame.count {
            let n = frame[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// A normal closure (1000), as a server ends a finished stream.
    func close() {
        guard !closed else { return }
        send(opcode: 0x8, [0x03, 0xE8])
        closed = true
    }
}

/// SHA-1 (FIPS 180-4), which the WebSocket handshake needs and nothing else.
enum SHA1 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { m.append(UInt8((bitLength >> UInt64(shift)) & 0xFF)) }
        func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
        for block in stride(from: 0, to: m.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 80)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(m[block + i * 4 + $1]) }
            }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
        }
        return h.flatMap { v in (0..<4).map { UInt8((v >> UInt32(24 - $0 * 8)) & 0xFF) } }
    }
}
