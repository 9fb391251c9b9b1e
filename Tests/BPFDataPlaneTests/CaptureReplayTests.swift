// Every capture of captures/manifest.json through the kernel: each frame through the TC
// program's BPF_PROG_TEST_RUN with `vd_replay_clock` (conntrack in capture time), compared
// packet by packet with StatefulClassifier: the data-plane verdict, the conntrack state and the
// policy points, and at the end the per-rule hits (DECISIONS 31).

import BPFDataPlane
import BPFLoader
import Classifier
import Foundation
import MatchTable
import Packets
import PcapIO
import PolicyCompiler
import PolicyModel
import TestFixtures
import Testing

/// One entry of captures/manifest.json (what these tests need of it).
struct CaptureEntry: CustomStringConvertible, Sendable {
    var file: String
    var policies: [String]
    var packets: Int
    var packetsBeforeError: Int?

    var description: String { file }

    static var all: [CaptureEntry] {
        guard let data = try? Data(contentsOf: Paths.captures.appendingPathComponent("manifest.json")),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let captures = root["captures"] as? [[String: Any]] else { return [] }
        return captures.compactMap { c in
            guard let file = c["file"] as? String, let policies = c["policies"] as? [String], let packets = c["packets"] as? Int else { return nil }
            return CaptureEntry(file: file, policies: policies, packets: packets,
                                packetsBeforeError: (c["expectError"] as? [String: Any])?["packetsBeforeError"] as? Int)
        }
    }

    func table() throws -> MatchTable {
        let inputs = policies.map { ResourceLoader.Input(Paths.packageRoot.appendingPathComponent($0).path) }
        return try PolicyCompiler.compile(try PolicySet.resolve(ResourceLoader.load(inputs, recursive: false)))
    }
}

/// A capture through both engines.
struct CaptureComparison {
    struct Row {
        var packet: Int
        var swift: PacketResult
        var bpf: BPFPacketResult
        var differences: [String]
    }

    var rows: [Row] = []
    var swiftHits: [[UInt64]] = []
    var kernelHits: [[UInt64]] = []
    var stateCounts: [ConntrackState: Int] = [:]

    static func run(_ entry: CaptureEntry) throws -> CaptureComparison {
        let table = try entry.table()
        let swift = StatefulClassifier(Classifier(table))
        let bpf = try BPFReplayEngine(table)
        let reader = try CaptureReader(path: Paths.packageRoot.appendingPathComponent(entry.file).path)
        var out = CaptureComparison()
        var failure: Error?
        do {
            try reader.forEach { record in
                var headers = PacketHeaders()
                let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
                let ns = record.timestamp.seconds * 1_000_000_000 + Int64(record.timestamp.nanoseconds)
                let s = swift.process(headers, outcome: outcome, timestampNanoseconds: ns)
                let b = try bpf.process(record.bytes, linkType: reader.linkType, headers: headers, outcome: outcome, timestampNanoseconds: ns)
                out.rows.append(Row(packet: record.number, swift: s, bpf: b, differences: EngineComparison.differences(swift: s, bpf: b.result)))
                out.stateCounts[s.state, default: 0] += 1
            }
        } catch is CaptureError {
            // mixed-link-types.pcapng: the reader refuses the file after its first packets.
        } catch {
            failure = error
        }
        if let failure { throw failure }
        let c = swift.classifier
        out.swiftHits = (0..<table.chains.count).map { ch in (0..<table.rules(chain: ch).count).map { c.hits(chain: ch, rule: $0) } }
        out.kernelHits = try bpf.plane.hits()
        return out
    }
}

@Suite("Captures through the kernel", .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: bpfUnavailable)))
struct CaptureReplayTests {
    @Test("the kernel and StatefulClassifier agree on every packet (verdict, conntrack state, points) and on the hits",
          arguments: CaptureEntry.all)
    func capture(_ entry: CaptureEntry) throws {
        let r = try CaptureComparison.run(entry)
        #expect(r.rows.count == (entry.packetsBeforeError ?? entry.packets))
        for row in r.rows where !row.differences.isEmpty {
            Issue.record("""
                \(entry.file) packet \(row.packet): \(row.differences.joined(separator: ", ")) differ
                  swift: \(row.swift.allow.map { $0 ? "allow" : "deny" } ?? "unparsed") \(row.swift.state) \(row.swift.policy?.points ?? []) \(row.swift.note ?? "")
                  bpf:   \(row.bpf.result.allow.map { $0 ? "allow" : "deny" } ?? "unparsed") \(row.bpf.result.state) \(row.bpf.result.policy?.points ?? []) \(row.bpf.refused ?? "")
                """)
        }
        #expect(r.kernelHits == r.swiftHits, "per-rule hits")
        // Unparsed packets have no Swift verdict; the kernel passes frames that are not IP and
        // drops malformed or cut IP (DECISIONS 30).
        for row in r.rows where row.swift.state == .unparsed {
            guard let run = row.bpf.run else { continue }
            #expect(run.passed == (row.swift.note == "not-ip"), "\(entry.file) packet \(row.packet): \(row.swift.note ?? "") passed \(run.passed)")
        }
        // Only frames whose link header names no IP family stay out of the kernel (they have no
        // Ethernet form); Swift calls them not-ip.
        let refused = r.rows.filter { $0.bpf.run == nil }
        for row in refused { #expect(row.swift.note == "not-ip", "\(entry.file) packet \(row.packet) not run: \(row.bpf.refused ?? "")") }
        print("captures: \(entry.file): \(r.rows.count) packets, \(r.rows.count - refused.count) through the kernel, "
              + "\(refused.count) not given to it (\(Set(refused.compactMap(\.bpf.refused)).sorted().joined(separator: "; "))), "
              + "states \(r.stateCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))")
    }
}
