// Sizes and build times of images: entries and bytes per map for the examples, the ClassBench
// 1K sets and larger sets made from acl1 (its rules repeated with shifted source addresses, as
// ClassBenchTests' 100K timing does). Manual, since it prints rather than checks:
//   BPF_IMAGE_REPORT=1 swift test --filter BPFImageTests.ImageSizeReport
// (BPF_IMAGE_REPORT=10000,30000 adds scaled sets of those sizes.)

import Addresses
import BPFImage
import ClassBench
import Foundation
import MatchTable
import PolicyCompiler
import TestFixtures
import Testing

@Suite(.enabled(if: ProcessInfo.processInfo.environment["BPF_IMAGE_REPORT"] != nil))
struct ImageSizeReport {
    static func report(_ name: String, _ table: MatchTable, compileSeconds: Double) throws {
        let clock = ContinuousClock()
        // Build twice (the first touches the table's pages), time the second.
        _ = try BPFTableImage(table, generation: 0)
        let t = clock.now
        let image = try BPFTableImage(table, generation: 1)
        let seconds = (clock.now - t).seconds
        let n = image.entryCounts, b = image.byteCounts
        let cells = BPFMap.allCases.map { "\($0.name) \(n[$0]!) (\(b[$0]!) B)" }.joined(separator: ", ")
        let total = b.values.reduce(0, +)
        let terms = table.chains.reduce(0) { $0 + Int($1.term_count) }
        print("BPFIMAGE \(name): table \(table.byteCount) B, \(terms) terms, atoms v4 \(table.header.atom_count_v4) v6 \(table.header.atom_count_v6); "
              + "compile \(compileSeconds > 0 ? String(format: "%.3f s", compileSeconds) : "-"); image \(String(format: "%.4f", seconds)) s, \(total) B per generation: \(cells)")
    }

    static func compile(_ body: () throws -> MatchTable) rethrows -> (MatchTable, Double) {
        let clock = ContinuousClock()
        let t = clock.now
        let table = try body()
        return (table, (clock.now - t).seconds)
    }

    @Test func examplesAndClassBench() throws {
        for name in Paths.exampleNames {
            let f = try Fixture.example(name)
            try Self.report("examples/\(name)", f.table, compileSeconds: 0)
        }
        for set in Paths.classBenchSets {
            let rules = try ClassBenchRuleFile.load(path: Paths.classBench.appendingPathComponent("\(set).rules").path)
            let (table, s) = try Self.compile { try PolicyCompiler.compile(try ClassBenchPolicy(rules: rules, file: set).policySet) }
            try Self.report(set, table, compileSeconds: s)
        }
        let sizes = (ProcessInfo.processInfo.environment["BPF_IMAGE_REPORT"] ?? "").split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty else { return }
        let base = try ClassBenchRuleFile.load(path: Paths.classBench.appendingPathComponent("acl1_1k.rules").path)
        for size in sizes {
            var rules: [ClassBenchRule] = []
            var k = 0
            while rules.count < size {
                for var r in base where rules.count < size {
                    r.source = CIDR(address: IPAddress(v4: r.source.address.v4 &+ UInt32(k) << 8).masked(to: r.source.prefixLength), prefixLength: r.source.prefixLength)
                    r.line = rules.count + 1
                    rules.append(r)
                }
                k += 1
            }
            let (table, s) = try Self.compile { try PolicyCompiler.compile(try ClassBenchPolicy(rules: rules, file: "acl1×\(size)").policySet) }
            try Self.report("acl1 scaled to \(size)", table, compileSeconds: s)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
