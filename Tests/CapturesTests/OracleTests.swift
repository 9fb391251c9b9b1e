// (c) The generator's expectations, written by hand from each scenario's intent, checked against
// the project's oracle: for every classifiable packet, the reference evaluator's verdict for that
// packet as a new connection must equal the expected `policyVerdict` (and, for `new` packets,
// the expected verdict). A disagreement means the scenario's reasoning or the oracle is wrong.

@testable import CaptureGenerator
import Addresses
import Foundation
import Packets
import PolicyModel
import ReferenceEvaluator
import Testing

@Suite("captures/ expectations against the reference evaluator")
struct OracleTests {
    static func evaluator(_ entry: ManifestEntry) throws -> ReferenceEvaluator {
        let inputs = entry.policies.map { ResourceLoader.Input(Repo.path($0)) }
        return ReferenceEvaluator(try PolicySet.resolve(try ResourceLoader.load(inputs, recursive: false)))
    }

    /// The packet as policy sees it: addresses, protocol, and the ports or ICMP type/code when the
    /// L4 header is there; a non-first fragment has neither (SEMANTICS §7.7).
    static func policyPacket(_ h: PacketHeaders) -> Packet {
        var p = Packet(source: h.src, destination: h.dst, protocolNumber: h.protocol)
        if h.isFragment && !h.isFirstFragment {
            p.isNonFirstFragment = true
        } else if h.hasPorts {
            p.sourcePort = h.srcPort
            p.destinationPort = h.dstPort
        } else if h.isICMP && h.l4Present {
            p.icmpType = h.icmpType
            p.icmpCode = h.icmpCode
        }
        return p
    }

    @Test("policyVerdict of every classifiable packet is the reference evaluator's verdict", arguments: Manifest.entries)
    func policyVerdicts(_ entry: ManifestEntry) throws {
        let oracle = try Self.evaluator(entry)
        let expected = try ExpectedFile.load(entry.expected)
        let (packets, _, _) = try CaptureFile.read(entry.file)
        var disagreements: [String] = []
        var checked = 0
        for (p, line) in zip(packets, expected) where line.verdict != "unparsed" {
            let packet = Self.policyPacket(p.headers)
            let verdict = oracle.evaluate(packet, from: oracle.party(for: packet.source), to: oracle.party(for: packet.destination))
            let got = verdict.verdict == .allow ? "allow" : "deny"
            checked += 1
            if got != line.policyVerdict {
                disagreements.append("packet \(line.packet) (\(packet), conntrack \(line.conntrack ?? "-")): expected policyVerdict \(line.policyVerdict ?? "-"), reference evaluator says \(got)")
            }
            if line.conntrack == "new" && got != line.verdict {
                disagreements.append("packet \(line.packet) (\(packet)): new packet expected \(line.verdict), reference evaluator says \(got)")
            }
        }
        #expect(checked > 0)
        #expect(disagreements.isEmpty, "\(entry.file) against \(entry.policies):\n\(disagreements.joined(separator: "\n"))")
    }

    @Test("every address a scenario names belongs to the endpoint it says", arguments: CaptureSet.all().map(\.name))
    func hosts(_ name: String) throws {
        let capture = try #require(CaptureSet.all().first { $0.name == name })
        let entry = try #require(Manifest.entries.first { $0.name == name })
        let oracle = try Self.evaluator(entry)
        #expect(!capture.hosts.isEmpty)
        for host in capture.hosts.sorted(by: { $0.ip < $1.ip }) {
            let party = oracle.party(for: host.address)
            #expect(party.endpoint?.id == host.endpoint, "\(name): \(host.ip) is \(party.endpoint?.id ?? "external"), the scenario says \(host.endpoint ?? "external")")
        }
        #expect(entry.policies == capture.policies)
    }
}
