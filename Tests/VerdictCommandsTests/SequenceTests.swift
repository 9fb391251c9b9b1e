// The stateful conformance packets (Tests/Fixtures/conformance/*/sequence.json): built into real
// frames, parsed, and judged in order by connection tracking plus the compiled table. Each packet
// states the data-plane verdict (`expect`) and, where it differs, what policy alone says
// (`expectPolicy`), as SEMANTICS §5.3 asks.

import Addresses
import Classifier
import Foundation
import Packets
import PcapIO
import PolicyCompiler
import PolicyModel
import Testing

enum SequenceFixture {
    struct Step {
        var id: String
        var frame: [UInt8]
        var expect: String
        var expectPolicy: String?
    }

    static var cases: [String] {
        FixturePaths.subdirectories(of: FixturePaths.conformance).filter {
            FileManager.default.fileExists(atPath: FixturePaths.conformance.appendingPathComponent("\($0)/sequence.json").path)
        }
    }

    static func flags(_ s: String) -> TCPFlags {
        var f: TCPFlags = []
        for c in s {
            switch c {
            case "S": f.insert(.syn)
            case "A": f.insert(.ack)
            case "F": f.insert(.fin)
            case "R": f.insert(.rst)
            case "P": f.insert(.psh)
            default: break
            }
        }
        return f
    }

    static func transport(_ proto: String, srcPort: Int, dstPort: Int, flags: String?) -> PacketBuilder.Transport {
        proto == "UDP" ? .udp(src: UInt16(srcPort), dst: UInt16(dstPort))
            : .tcp(src: UInt16(srcPort), dst: UInt16(dstPort), flags: flags.map(SequenceFixture.flags) ?? .syn)
    }

    static func steps(_ name: String) throws -> [Step] {
        let url = FixturePaths.conformance.appendingPathComponent("\(name)/sequence.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["packets"] as! [[String: Any]]).map { p in
            let src = (p["src"] as! [String: Any])["ip"] as! String
            let dst = (p["dst"] as! [String: Any])["ip"] as! String
            let proto = p["protocol"] as! String
            let t: PacketBuilder.Transport
            if let icmp = p["icmp"] as? [String: Any] {
                let type = UInt8(icmp["type"] as! Int), code = UInt8(icmp["code"] as? Int ?? 0)
                if let e = icmp["embedded"] as? [String: Any] {
                    let quoted = PacketBuilder(network: .ip(e["src"] as! String, e["dst"] as! String),
                                               transport: transport(e["protocol"] as! String, srcPort: e["srcPort"] as! Int,
                                                                    dstPort: e["port"] as! Int, flags: nil)).ipPacket()
                    t = .icmpError(type: type, code: code, quoting: Array(quoted.prefix(28)))
                } else if type == 8 || type == 0 || type == 128 || type == 129 {
                    t = .icmpEcho(request: type == 8 || type == 128, id: UInt16(icmp["id"] as? Int ?? 1))
                } else {
                    t = .icmp(type: type, code: code)
                }
            } else {
                t = transport(proto, srcPort: p["srcPort"] as! Int, dstPort: p["port"] as! Int, flags: p["tcpFlags"] as? String)
            }
            let frame = PacketBuilder(network: .ip(src, dst), transport: t).frame()
            return Step(id: p["id"] as! String, frame: frame, expect: p["expect"] as! String, expectPolicy: p["expectPolicy"] as? String)
        }
    }
}

struct SequenceTests {
    @Test("stateful sequences: conntrack + fast path", arguments: SequenceFixture.cases)
    func sequence(_ name: String) throws {
        let set = try ConformanceTests.policySet(for: FixturePaths.conformance.appendingPathComponent(name))
        let engine = StatefulClassifier(Classifier(try PolicyCompiler.compile(set)))
        var headers = PacketHeaders()
        for (i, step) in try SequenceFixture.steps(name).enumerated() {
            let outcome = step.frame.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &headers) }
            let r = engine.process(headers, outcome: outcome, timestampNanoseconds: Int64(i + 1) * 1_000_000)
            #expect(r.allow.map { $0 ? "allow" : "deny" } == step.expect, "\(name) \(step.id): data plane \(String(describing: r.allow)) (\(r.state))")
            let policy = r.policy.map { $0.allow ? "allow" : "deny" }
            #expect(policy == (step.expectPolicy ?? step.expect), "\(name) \(step.id): policy \(policy ?? "nil")")
        }
    }

    @Test("verdict replay --expect on a sequence capture; a changed expectation exits 1")
    func replayBinary() throws {
        guard FixturePaths.verdictBinary != nil else { Issue.record("verdict binary not built"); return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-seq-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var pcap = DeterministicPcapWriter(linkType: .ethernet)
        var expected = ""
        let steps = try SequenceFixture.steps("TC-06")
        for (i, s) in steps.enumerated() {
            pcap.append(s.frame, seconds: 1_700_000_000 + UInt32(i), nanoseconds: 0)
            expected += "{\"packet\": \(i + 1), \"verdict\": \"\(s.expect)\", \"policyVerdict\": \"\(s.expectPolicy ?? s.expect)\"}\n"
        }
        let capture = dir.appendingPathComponent("tc06.pcap").path
        try Data(pcap.bytes).write(to: URL(fileURLWithPath: capture))
        let expect = dir.appendingPathComponent("tc06.expected.jsonl").path
        try expected.write(toFile: expect, atomically: true, encoding: .utf8)
        let policies = FixturePaths.conformance.appendingPathComponent("TC-06")
        let args = ["replay", "-f", FixturePaths.conformance.appendingPathComponent("inventory.yaml").path,
                    "-f", policies.appendingPathComponent("policies.yaml").path, "-r", capture, "--expect", expect, "-q"]
        let ok = try runVerdict(args)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("packets \(steps.count):"))

        try expected.replacingOccurrences(of: "\"packet\": 2, \"verdict\": \"allow\"", with: "\"packet\": 2, \"verdict\": \"deny\"")
            .write(toFile: expect, atomically: true, encoding: .utf8)
        let bad = try runVerdict(args)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("packet 2: verdict expected \"deny\" got \"allow\""), "\(bad.stderr)")

        // jsonl output: one object per packet with the conntrack state.
        let lines = try runVerdict(["replay", "-f", FixturePaths.conformance.appendingPathComponent("inventory.yaml").path,
                                    "-f", policies.appendingPathComponent("policies.yaml").path, "-r", capture, "-o", "jsonl", "-q"])
        let objects = lines.stdout.split(separator: "\n")
        #expect(objects.count == steps.count)
        #expect(objects.first?.contains("\"conntrack\":\"new\"") == true)
        #expect(objects.dropFirst().first?.contains("\"conntrack\":\"established\"") == true)
    }
}
