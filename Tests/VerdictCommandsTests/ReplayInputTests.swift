// Bad input to `verdict replay` and `verdict inspect`: one clear message, exit code 2, and no
// output file left behind.

import Foundation
import Packets
import PcapIO
import Testing

struct ReplayInputTests {
    let dir: URL
    let policies: [String]

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-replay-in-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        policies = ["-f", FixturePaths.conformance.appendingPathComponent("inventory.yaml").path,
                    "-f", FixturePaths.conformance.appendingPathComponent("TC-06/policies.yaml").path]
    }

    func capture(_ name: String, linkTypeValue: UInt32 = 1) throws -> (path: String, bytes: [UInt8]) {
        var pcap = DeterministicPcapWriter(linkTypeValue: linkTypeValue)
        for (i, s) in try SequenceFixture.steps("TC-06").enumerated() { pcap.append(s.frame, seconds: UInt32(i), nanoseconds: 0) }
        let path = dir.appendingPathComponent(name).path
        try Data(pcap.bytes).write(to: URL(fileURLWithPath: path))
        return (path, pcap.bytes)
    }

    @Test("a capture truncated inside a packet: exit 2 naming the packet, no denied file, no metrics file")
    func truncated() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, bytes) = try capture("t.pcap")
        try Data(bytes.prefix(bytes.count - 20)).write(to: URL(fileURLWithPath: path))
        let denied = dir.appendingPathComponent("denied.pcap").path, metrics = dir.appendingPathComponent("m.prom").path
        let r = try runVerdict(["replay"] + policies + ["-r", path, "--write-denied", denied, "--metrics-file", metrics])
        #expect(r.status == 2)
        #expect(r.stderr.contains("packet 7") && r.stderr.contains("truncated"), "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["t.pcap"], "left behind: \(left)")
    }

    @Test("an unsupported link type: exit 2 listing the supported ones")
    func unknownLinkType() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try capture("u.pcap", linkTypeValue: 147)
        let r = try runVerdict(["replay"] + policies + ["-r", path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unsupported link type"), "\(r.stderr)")
    }

    @Test("not a capture, a missing file, a bad filter: exit 2")
    func notACapture() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("x.pcap").path
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(try runVerdict(["replay"] + policies + ["-r", text]).status == 2)
        #expect(try runVerdict(["replay"] + policies + ["-r", dir.appendingPathComponent("missing.pcap").path]).status == 2)
        let (path, _) = try capture("f.pcap")
        let bad = try runVerdict(["replay"] + policies + ["-r", path, "--bpf-filter", "tcp port"])
        #expect(bad.status == 2 && bad.stderr.contains("filter"), "\(bad.stderr)")
    }

    @Test("write-denied, metrics, -c and a filter on a good capture")
    func outputs() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try capture("g.pcap")
        let denied = dir.appendingPathComponent("denied.pcap").path, metrics = dir.appendingPathComponent("m.prom").path
        let r = try runVerdict(["replay"] + policies + ["-r", path, "--write-denied", denied, "--metrics-file", metrics, "-o", "json", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"packets\": 7"))
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(prom.contains("verdict_packets_total{verdict=\"allow\"} 7"))
        #expect(prom.contains("# TYPE verdict_rule_hits_total counter"))
        let reader = try CaptureReader(path: denied)
        var n = 0
        try reader.forEach { _ in n += 1 }
        #expect(n == 0)  // TC-06's sequence is all allowed
        let limited = try runVerdict(["replay"] + policies + ["-r", path, "-c", "3", "-o", "jsonl", "-q"])
        #expect(limited.stdout.split(separator: "\n").count == 3)
        let udp = try runVerdict(["replay"] + policies + ["-r", path, "--bpf-filter", "udp", "-o", "jsonl", "-q"])
        #expect(udp.stdout.split(separator: "\n").count == 2)
    }

    @Test("inspect: a corrupt table exits 2; usage errors exit 64")
    func tables() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = dir.appendingPathComponent("t.vdt").path
        #expect(try runVerdict(["compile"] + policies + ["-o", table, "-q"]).status == 0)
        #expect(try runVerdict(["inspect", table]).stdout.contains("chain 0 workload ingress"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: table)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: table))
        let r = try runVerdict(["inspect", table])
        #expect(r.status == 2 && r.stderr.contains("checksum"), "\(r.stderr)")
        let (path, _) = try capture("c.pcap")
        #expect(try runVerdict(["replay", "--table", table, "-r", path]).status == 2)
        #expect(try runVerdict(["replay", "-r", path]).status == 64)
        #expect(try runVerdict(["replay"] + policies + ["-r", path, "-c", "0"]).status == 64)
    }
}
