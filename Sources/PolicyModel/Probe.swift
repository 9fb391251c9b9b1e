// The probes file of `verdict check` (a stable contract that external conformance suites drive):
// `{"probes": [{"src": SIDE, "dst": SIDE, "protocol": …, "port": …, "srcPort": …, "icmp": {…}, "expect": …}]}`.

import Addresses

public struct ProbeSide: Hashable, Sendable {
    /// `ns/name` for a workload, `hostendpoint:NAME` for a host endpoint.
    public var endpoint: String?
    public var ip: IPAddress?
    public var location: SourceLocation
}

public struct ProbeSpec: Hashable, Sendable {
    public var id: String?
    public var description: String?
    public var source: ProbeSide
    public var destination: ProbeSide
    public var protocolNumber: UInt8
    public var port: UInt16?
    public var sourcePort: UInt16?
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    public var expect: String?
    public var location: SourceLocation
}

public enum ProbeLoader {
    public static func load(path: String, readStdin: () -> String? = ResourceLoader.readStandardInput) throws(InputError) -> [ProbeSpec] {
        let text: String
        if path == "-" {
            guard let t = readStdin() else { throw InputError(SourceLocation(file: "<stdin>", line: 0, column: 0), field: "", "cannot read standard input") }
            text = t
        } else {
            text = try FileWalker.read(path)
        }
        return try parse(text, file: path == "-" ? "<stdin>" : path)
    }

    public static func parse(_ text: String, file: String) throws(InputError) -> [ProbeSpec] {
        let docs = try DocumentReader.documents(of: text, file: file)
        guard docs.count == 1, let root = docs.first?.root else {
            throw InputError(SourceLocation(file: file, line: 1, column: 1), field: "", "expected one JSON object {\"probes\": [...]}")
        }
        // `comment` lets a probes file document itself (JSON has no comments).
        let top = try root.fields(allowed: ["probes", "comment"], strict: true)
        return try top.required("probes").sequence().map { c throws(InputError) in try probe(c) }
    }

    static func probe(_ c: Cursor) throws(InputError) -> ProbeSpec {
        let f = try c.fields(allowed: ["id", "description", "src", "dst", "protocol", "port", "srcPort", "icmp", "expect"], strict: true)
        let protoCursor = try f.required("protocol")
        let proto: UInt8
        switch try protoCursor.intOrString() {
        case let .int(n):
            guard (0...255).contains(n) else { throw protoCursor.error("protocol number must be between 0 and 255") }
            proto = UInt8(n)
        case let .string(s):
            guard let n = ["tcp": UInt8(6), "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58, "udplite": 136][s.lowercased()] else {
                throw protoCursor.error("protocol must be TCP, UDP, SCTP, ICMP, ICMPv6 or a number (found '\(s)')")
            }
            proto = n
        }
        let hasPorts = [6, 17, 132, 136].contains(proto)
        func port(_ key: String) throws(InputError) -> UInt16? {
            guard let pc = f[key] else { return nil }
            guard hasPorts else { throw pc.error("'\(key)' is only valid for TCP, UDP and SCTP") }
            let v = try pc.int()
            guard (1...65535).contains(v) else { throw pc.error("port must be between 1 and 65535") }
            return UInt16(v)
        }
        let dstPort = try port("port")
        if hasPorts && dstPort == nil { throw c.missing("port") }
        var type: UInt8? = nil, code: UInt8? = nil
        if let ic = f["icmp"] {
            guard proto == 1 || proto == 58 else { throw ic.error("'icmp' is only valid for ICMP and ICMPv6") }
            let icf = try ic.fields(allowed: ["type", "code"], strict: true)
            let t = try icf.required("type").int()
            guard (0...255).contains(t) else { throw icf["type"]!.error("ICMP type must be between 0 and 255") }
            let k = try icf["code"]?.int() ?? 0
            guard (0...255).contains(k) else { throw icf["code"]!.error("ICMP code must be between 0 and 255") }
            type = UInt8(t)
            code = UInt8(k)
        } else if proto == 1 || proto == 58 {
            // A probe without ICMP fields is a ping: echo request, code 0.
            type = proto == 1 ? 8 : 128
            code = 0
        }
        var expect: String? = nil
        if let ec = f["expect"] {
            let s = try ec.string()
            guard s == "allow" || s == "deny" else { throw ec.error("expect must be \"allow\" or \"deny\" (found '\(s)')") }
            expect = s
        }
        return ProbeSpec(id: try f["id"]?.string(), description: try f["description"]?.string(),
                         source: try side(try f.required("src")), destination: try side(try f.required("dst")),
                         protocolNumber: proto, port: dstPort, sourcePort: try port("srcPort"),
                         icmpType: type, icmpCode: code, expect: expect, location: c.location)
    }

    static func side(_ c: Cursor) throws(InputError) -> ProbeSide {
        let f = try c.fields(allowed: ["endpoint", "ip"], strict: true)
        let endpoint = try f["endpoint"]?.nonEmptyString()
        let ip = try f["ip"].map { i throws(InputError) in try Values.ipAddress(i) }
        if endpoint == nil && ip == nil { throw c.error("a side needs \"endpoint\" or \"ip\" (or both)") }
        return ProbeSide(endpoint: endpoint, ip: ip, location: c.location)
    }
}
