// Application bytes for the captures: DNS messages, HTTP requests and responses, ping data.
// Real formats, so the captures open cleanly in Wireshark, but nothing here affects a verdict.

import Addresses

enum Payload {
    /// A DNS query (RD set) for one name and type (1 = A, 28 = AAAA).
    static func dnsQuery(id: UInt16, name: String, type: UInt16 = 1) -> [UInt8] {
        var out: [UInt8] = []
        out.be16(id)
        out.be16(0x0100)  // standard query, recursion desired
        out.be16(1)  // QDCOUNT
        out.be16(0)
        out.be16(0)
        out.be16(0)
        out += question(name: name, type: type)
        return out
    }

    /// The response to ``dnsQuery(id:name:type:)`` with one answer per address (A or AAAA by family).
    static func dnsResponse(id: UInt16, name: String, type: UInt16 = 1, answers: [String], ttl: UInt32 = 30) -> [UInt8] {
        var out: [UInt8] = []
        out.be16(id)
        out.be16(0x8180)  // response, RD, RA, no error
        out.be16(1)
        out.be16(UInt16(answers.count))
        out.be16(0)
        out.be16(0)
        out += question(name: name, type: type)
        for a in answers {
            guard let ip = IPAddress(a) else { preconditionFailure("bad answer \(a)") }
            out.be16(0xC00C)  // pointer to the name in the question
            out.be16(ip.family == .v4 ? 1 : 28)
            out.be16(1)  // IN
            out.be32(ttl)
            out.be16(UInt16(ip.bytes.count))
            out += ip.bytes
        }
        return out
    }

    /// A large DNS message (a zone-transfer-sized UPDATE or EDNS answer) of exactly `size` bytes,
    /// for datagrams that must be fragmented.
    static func largeDNS(id: UInt16, size: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.be16(id)
        out.be16(0x2800)  // UPDATE
        out += [0, 0, 0, 0, 0, 0, 0, 0]
        while out.count < size { out.append(UInt8(truncatingIfNeeded: 0x41 + out.count % 26)) }
        return out
    }

    private static func question(name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        out.append(0)
        out.be16(type)
        out.be16(1)
        return out
    }

    static func httpGet(host: String, path: String = "/") -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n".utf8)
    }

    static func httpResponse(_ body: String) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    /// `count` bytes of a fixed pattern (ping's 0x10, 0x11, … fill, or any bulk data).
    static func pattern(_ count: Int, start: UInt8 = 0x10) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
    }

    /// ping's default 56 data bytes.
    static let ping = pattern(56)

    /// A Prometheus scrape request and a short metrics answer.
    static let scrape = httpGet(host: "10.0.0.1:9090", path: "/metrics")
    static let metrics = httpResponse("# TYPE up gauge\nup 1\n")

    /// A MySQL server greeting (protocol 10), the first bytes a database sends.
    static let mysqlGreeting: [UInt8] = [0x4A, 0x00, 0x00, 0x00, 0x0A] + Array("8.0.36\u{0}".utf8) + pattern(40, start: 0x30)
    static let mysqlLogin: [UInt8] = [0x20, 0x00, 0x00, 0x01, 0x85, 0xA6, 0x3F, 0x00] + pattern(28, start: 0x61)
}

extension Array where Element == UInt8 {
    mutating func be16(_ v: UInt16) {
        append(UInt8(v >> 8))
        append(UInt8(v & 0xFF))
    }

    mutating func be32(_ v: UInt32) {
        be16(UInt16(v >> 16))
        be16(UInt16(v & 0xFFFF))
    }
}
