// ProbeLoader: the `verdict check` probes file (a stable contract).

import Foundation
import Testing
@testable import PolicyModel
import Addresses

/// One probe whose src and dst are IPs; `fields` follow and start at column 68 of line 1.
private func probeJSON(_ fields: String) -> String {
    "{\"probes\": [{\"src\": {\"ip\": \"10.0.0.1\"}, \"dst\": {\"ip\": \"10.0.0.2\"}, \(fields)}]}"
}

private func expectProbeError(_ text: String, message: String, field: String, line: Int = 1, column: Int,
                              sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let e = inputError({ () throws(InputError) in try ProbeLoader.parse(text, file: "probes.json") }) else {
        Issue.record("expected an error containing \"\(message)\"", sourceLocation: sourceLocation)
        return
    }
    #expect(e.message.contains(message), "message: \(e.message)", sourceLocation: sourceLocation)
    #expect(e.field == field, "field of: \(e)", sourceLocation: sourceLocation)
    #expect(e.location.file == "probes.json", sourceLocation: sourceLocation)
    #expect(e.location.line == line, "line of: \(e)", sourceLocation: sourceLocation)
    #expect(e.location.column == column, "column of: \(e)", sourceLocation: sourceLocation)
}

@Suite("ProbeLoader")
struct ProbeLoaderTests {
    static let valid = """
    {"probes": [
      {"id": "web-to-db", "description": "web may reach db", "src": {"endpoint": "prod/web"}, "dst": {"endpoint": "prod/db", "ip": "10.0.0.2"}, "protocol": "TCP", "port": 5432, "srcPort": 40000, "expect": "allow"},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "8.8.8.8"}, "protocol": "ICMP"},
      {"src": {"ip": "fd00::1"}, "dst": {"ip": "fd00::2"}, "protocol": "icmpv6"},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "protocol": 1, "icmp": {"type": 3, "code": 4}, "expect": "deny"},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "protocol": 58, "icmp": {"type": 1}},
      {"src": {"endpoint": "hostendpoint:n1-eth0"}, "dst": {"ip": "10.0.0.2"}, "protocol": "udp", "port": 53},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "protocol": 47},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "protocol": "SCTP", "port": 9},
      {"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "protocol": "UDPLite", "port": 9}
    ]}
    """

    @Test("a valid probes file")
    func valid() throws {
        let probes = try ProbeLoader.parse(Self.valid, file: "probes.json")
        #expect(probes.count == 9)
        let p = probes[0]
        #expect(p.id == "web-to-db")
        #expect(p.description == "web may reach db")
        #expect(p.source.endpoint == "prod/web" && p.source.ip == nil)
        #expect(p.destination.endpoint == "prod/db" && p.destination.ip == IPAddress("10.0.0.2"))
        #expect(p.protocolNumber == 6)
        #expect(p.port == 5432)
        #expect(p.sourcePort == 40000)
        #expect(p.icmpType == nil && p.icmpCode == nil)
        #expect(p.expect == "allow")
        #expect(p.location == PolicyModel.SourceLocation(file: "probes.json", line: 2, column: 3))
        #expect(p.source.location.line == 2)

        #expect(probes.map(\.protocolNumber) == [6, 1, 58, 1, 58, 17, 47, 132, 136])
        #expect(probes[3].expect == "deny")
        #expect(probes[5].source.endpoint == "hostendpoint:n1-eth0")
        #expect(probes[5].port == 53)
        #expect(probes[6].port == nil && probes[6].icmpType == nil)
        #expect(probes[1].id == nil && probes[1].expect == nil)
    }

    @Test("ICMP defaults: no icmp means echo request (8/0, ICMPv6 128/0); a missing code is 0")
    func icmpDefaults() throws {
        let probes = try ProbeLoader.parse(Self.valid, file: "probes.json")
        #expect(probes[1].icmpType == 8 && probes[1].icmpCode == 0)
        #expect(probes[2].icmpType == 128 && probes[2].icmpCode == 0)
        #expect(probes[3].icmpType == 3 && probes[3].icmpCode == 4)
        #expect(probes[4].icmpType == 1 && probes[4].icmpCode == 0)
        #expect(probes[1].port == nil)
    }

    @Test("probe errors carry field and position", arguments: [
        (probeJSON("\"protocol\": \"TCP\""), "required field 'port' is missing", "probes[0].port", 13),
        (probeJSON("\"protocol\": \"UDP\", \"srcPort\": 5"), "required field 'port' is missing", "probes[0].port", 13),
        (probeJSON("\"port\": 80"), "required field 'protocol' is missing", "probes[0].protocol", 13),
        (probeJSON("\"protocol\": \"TCP\", \"port\": 80, \"icmp\": {\"type\": 8}"), "'icmp' is only valid for ICMP and ICMPv6", "probes[0].icmp", 107),
        (probeJSON("\"protocol\": \"ICMP\", \"port\": 80"), "'port' is only valid for TCP, UDP and SCTP", "probes[0].port", 96),
        (probeJSON("\"protocol\": \"TCP\", \"port\": 80, \"expect\": \"allowed\""), "expect must be \"allow\" or \"deny\" (found 'allowed')", "probes[0].expect", 109),
        (probeJSON("\"protocol\": \"TCP\", \"port\": 80, \"protocl\": 6"), "unknown field 'protocl' (did you mean 'protocol'?)", "probes[0].protocl", 99),
        (probeJSON("\"protocol\": \"tcpp\", \"port\": 80"), "protocol must be TCP, UDP, SCTP, ICMP, ICMPv6 or a number (found 'tcpp')", "probes[0].protocol", 80),
        (probeJSON("\"protocol\": 256, \"port\": 80"), "protocol number must be between 0 and 255", "probes[0].protocol", 80),
        (probeJSON("\"protocol\": \"TCP\", \"port\": 0"), "port must be between 1 and 65535", "probes[0].port", 95),
        (probeJSON("\"protocol\": \"TCP\", \"port\": \"80\""), "expected an integer", "probes[0].port", 95),
        (probeJSON("\"protocol\": \"ICMP\", \"icmp\": {\"code\": 1}"), "required field 'type' is missing", "probes[0].icmp.type", 96),
        (probeJSON("\"protocol\": \"ICMP\", \"icmp\": {\"type\": 256}"), "ICMP type must be between 0 and 255", "probes[0].icmp.type", 105),
        ("{\"probes\": [{\"src\": {}, \"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}",
         "a side needs \"endpoint\" or \"ip\" (or both)", "probes[0].src", 21),
        ("{\"probes\": [{\"src\": {\"ip\": \"10.0.0.300\"}, \"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}",
         "invalid IP address '10.0.0.300'", "probes[0].src.ip", 28),
        ("{\"probes\": [{\"src\": {\"endpoint\": \"\"}, \"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}",
         "must not be empty", "probes[0].src.endpoint", 34),
        ("{\"probes\": [{\"src\": {\"pod\": \"a/b\"}, \"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}",
         "unknown field 'pod'", "probes[0].src.pod", 22),
        ("{\"probes\": [{\"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}",
         "required field 'src' is missing", "probes[0].src", 13),
        ("{\"probe\": []}", "unknown field 'probe' (did you mean 'probes'?)", "probe", 2),
        ("{}", "required field 'probes' is missing", "probes", 1),
    ])
    func errors(_ text: String, _ message: String, _ field: String, _ column: Int) {
        expectProbeError(text, message: message, field: field, column: column)
    }

    @Test("a top-level comment documents the file")
    func comment() throws {
        let probes = try ProbeLoader.parse("{\"comment\": \"why these probes\", \"probes\": []}", file: "p.json")
        #expect(probes.isEmpty)
    }

    @Test("exactly one document")
    func oneDocument() {
        let e = inputError { () throws(InputError) in try ProbeLoader.parse("{\"probes\": []}\n---\n{\"probes\": []}\n", file: "p.yaml") }
        #expect(e?.message.contains("expected one JSON object") == true)
        let empty = inputError { () throws(InputError) in try ProbeLoader.parse("", file: "p.yaml") }
        #expect(empty?.message.contains("expected one JSON object") == true)
    }

    @Test("load from a file and from stdin")
    func loadPaths() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("probes.json", Self.valid)
        let fromFile = try ProbeLoader.load(path: dir.path + "/probes.json")
        #expect(fromFile.count == 9)
        #expect(fromFile[0].location.file == dir.path + "/probes.json")

        let fromStdin = try ProbeLoader.load(path: "-", readStdin: { Self.valid })
        #expect(fromStdin.count == 9)
        #expect(fromStdin[0].location.file == "<stdin>")
        let none = inputError { () throws(InputError) in try ProbeLoader.load(path: "-", readStdin: { nil }) }
        #expect(none?.message == "cannot read standard input")
        let missing = inputError { () throws(InputError) in try ProbeLoader.load(path: dir.path + "/nope.json") }
        #expect(missing?.message == "cannot read file")
    }

    @Test("a YAML syntax error in a probes file has a position")
    func syntaxError() {
        let e = inputError { () throws(InputError) in try ProbeLoader.parse("{\"probes\": [\n  {\"src\": }\n", file: "p.json") }
        #expect(e?.location.file == "p.json")
        #expect((e?.location.line ?? 0) >= 2)
        #expect(e?.message.hasPrefix("YAML syntax error") == true)
    }
}
