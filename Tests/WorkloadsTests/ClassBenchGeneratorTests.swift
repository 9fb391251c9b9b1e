// The ClassBench-shaped generator: embedded seeds, determinism, field statistics against the seed
// sets at 1K/10K/100K rules, no redundant rules, and expected answers against both an independent
// scan and the reference evaluator on the mapped Calico policy.

import ClassBench
import Foundation
import PolicyModel
import ReferenceEvaluator
import Testing
@testable import Workloads

@Suite("ClassBench generator")
struct ClassBenchGeneratorTests {
    @Test("the embedded seeds are exactly the committed 1K rule files", arguments: ClassBenchProfile.allCases)
    func embeddedSeeds(_ profile: ClassBenchProfile) throws {
        let committed = try ClassBenchRuleFile.load(path: Paths.rules(profile.seedName))
        #expect(profile.seedRules == committed.map { r in r })
        #expect(profile.seedRules.count == committed.count)
    }

    @Test("the seed statistics are the README's table", arguments: [
        (ClassBenchProfile.acl, 936, 0.1, 0.1, 8.8, 0.0, 10.4, 59),
        (.fw, 891, 27.9, 15.2, 1.1, 8.8, 7.4, 83),
        (.ipc, 979, 3.8, 3.0, 33.3, 2.6, 10.8, 160),
    ])
    func seedStatistics(_ c: (ClassBenchProfile, Int, Double, Double, Double, Double, Double, Int)) {
        let s = ClassBenchStatistics(c.0.seedRules)
        #expect(s.rules == c.1)
        for (got, want) in [(s.sourceWildcard, c.2), (s.destinationWildcard, c.3), (s.protocolWildcard, c.4),
                            (s.sourcePortTrueRanges, c.5), (s.destinationPortTrueRanges, c.6)] {
            #expect(abs(got - want) < 0.051, "\(s)")
        }
        #expect(s.prefixLengthPairs == c.7)
    }

    @Test("same seed, same bytes; another seed, other rules")
    func determinism() {
        let a = ClassBenchWorkload(profile: .fw, ruleCount: 1000, packets: 5000, seed: 7)
        let b = ClassBenchWorkload(profile: .fw, ruleCount: 1000, packets: 5000, seed: 7)
        #expect(a.rulesText == b.rulesText)
        #expect(a.traceText == b.traceText)
        let c = ClassBenchWorkload(profile: .fw, ruleCount: 1000, packets: 5000, seed: 8)
        #expect(a.rulesText != c.rulesText)
        #expect(a.traceText != c.traceText)
    }

    /// Pins the generator's output: a change here means every published figure's workload changed
    /// (a different PRNG draw order, seed set or variation rule), which must be deliberate.
    @Test("the output is pinned (FNV-1a of the files for seed 1)")
    func pinned() {
        let w = ClassBenchWorkload(profile: .acl, ruleCount: 100, packets: 1000, seed: 1)
        #expect(fnv1a(w.rulesText) == Self.pinnedRules, "rules digest \(String(fnv1a(w.rulesText), radix: 16))")
        #expect(fnv1a(w.traceText) == Self.pinnedTrace, "trace digest \(String(fnv1a(w.traceText), radix: 16))")
    }
    static let pinnedRules: UInt64 = 0x0350_739D_92D9_27C0
    static let pinnedTrace: UInt64 = 0xADCE_843E_12AA_59E8

    @Test("exactly N rules for small and odd sizes", arguments: [10, 11, 100, 999, 2500])
    func sizes(_ n: Int) {
        for profile in ClassBenchProfile.allCases {
            let rules = ClassBenchGenerator(profile: profile, seed: 3).rules(count: n)
            #expect(rules.count == n)
            #expect(rules.map(\.line) == Array(1...n))
        }
    }

    @Test("field statistics within tolerance at 1K, 10K and 100K", arguments: ClassBenchProfile.allCases)
    func statistics(_ profile: ClassBenchProfile) {
        let seed = ClassBenchStatistics(profile.seedRules)
        for n in [1000, 10_000, 100_000] {
            let s = ClassBenchStatistics(ClassBenchGenerator(profile: profile, seed: 1).rules(count: n))
            print("\(profile) \(s)")
            #expect(s.rules == n)
            for (name, got, want) in [("SA wildcard", s.sourceWildcard, seed.sourceWildcard),
                                      ("DA wildcard", s.destinationWildcard, seed.destinationWildcard),
                                      ("proto wildcard", s.protocolWildcard, seed.protocolWildcard),
                                      ("SP true ranges", s.sourcePortTrueRanges, seed.sourcePortTrueRanges),
                                      ("DP true ranges", s.destinationPortTrueRanges, seed.destinationPortTrueRanges)] {
                #expect(abs(got - want) <= Self.tolerance(want), "\(profile) \(n): \(name) \(got)% against the seed's \(want)%")
            }
            #expect(s.prefixLengthPairs <= seed.prefixLengthPairs)
            #expect(Double(s.prefixLengthPairs) >= Double(seed.prefixLengthPairs) * 0.9, "\(profile) \(n): \(s.prefixLengthPairs) pairs")
        }
    }

    /// Percentages within 1 point or 15% of the seed's value, whichever is larger.
    static func tolerance(_ want: Double) -> Double { max(1.0, want * 0.15) }

    @Test("no exact duplicates and no rule covered by one earlier rule (all pairs at 2K)", arguments: ClassBenchProfile.allCases)
    func noRedundantRules(_ profile: ClassBenchProfile) {
        let rules = ClassBenchGenerator(profile: profile, seed: 5).rules(count: 2000)
        let boxes = rules.map(RuleBox.init)
        var redundant: [(Int, Int)] = []
        for j in boxes.indices {
            for i in 0..<j where boxes[i].covers(boxes[j]) {
                redundant.append((i, j))
                break
            }
        }
        #expect(redundant.isEmpty, "\(redundant.prefix(5))")
    }

    @Test("every header matches its generating rule, and the expected index is the first match", arguments: ClassBenchProfile.allCases)
    func expectedIsFirstMatch(_ profile: ClassBenchProfile) {
        let w = ClassBenchWorkload(profile: profile, ruleCount: 3000, packets: 3000, seed: 11)
        var earlier = 0
        for k in 0..<w.trace.count {
            let s = w.trace.source[k], d = w.trace.destination[k], sp = w.trace.sourcePort[k], dp = w.trace.destinationPort[k]
            let p = w.trace.protocolNumber[k]
            let g = Int(w.generatingRule[k])
            #expect(w.rules[g].matches(source: s, destination: d, sourcePort: sp, destinationPort: dp, protocolNumber: p))
            // An independent scan over every rule, through ClassBenchRule's own matcher.
            let first = w.rules.firstIndex { $0.matches(source: s, destination: d, sourcePort: sp, destinationPort: dp, protocolNumber: p) } ?? -1
            #expect(Int(w.trace.expected[k]) == first)
            if first < g { earlier += 1 }
        }
        // As in real sets, a few headers first-match an earlier rule than the one they came from.
        print("\(profile): \(earlier) of \(w.trace.count) headers first-match before their generating rule")
    }

    @Test("the expected index is the reference evaluator's answer on the mapped Calico policy at 10K rules", arguments: ClassBenchProfile.allCases)
    func referenceAgrees(_ profile: ClassBenchProfile) throws {
        let w = ClassBenchWorkload(profile: profile, ruleCount: 10_000, packets: 4000, seed: 2)
        let policy = try ClassBenchPolicy(rules: w.rules, file: "generated.rules")
        #expect(policy.unmappedRules.isEmpty)
        let engine = ClassBenchReferenceEngine(policy)
        var rng = WorkloadRandom(seed: 99)
        var compared = 0
        for _ in 0..<60 {
            let k = rng.below(w.trace.count)
            guard policy.isRepresentable(w.trace, k) else { continue }
            #expect(engine.classify(w.trace, k) == w.trace.expected[k], "header \(k)")
            compared += 1
        }
        #expect(compared == 60)
    }

    @Test("the files read back as the same rules and trace")
    func filesRoundTrip() throws {
        let w = ClassBenchWorkload(profile: .ipc, ruleCount: 500, packets: 2000, seed: 4)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workloads-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rulesPath = dir.appendingPathComponent("ipc.rules").path, tracePath = dir.appendingPathComponent("ipc.trace").path
        try w.write(rulesTo: rulesPath, traceTo: tracePath)
        #expect(try ClassBenchRuleFile.load(path: rulesPath) == w.rules)
        let t = try ClassBenchTrace.read(path: tracePath)
        #expect(t.count == w.trace.count)
        #expect(t.source == w.trace.source && t.destination == w.trace.destination && t.protocolNumber == w.trace.protocolNumber)
        #expect(t.sourcePort == w.trace.sourcePort && t.destinationPort == w.trace.destinationPort && t.expected == w.trace.expected)
        #expect(try String(contentsOfFile: rulesPath, encoding: .utf8) == w.rulesText)
    }
}

func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
}

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func rules(_ set: String) -> String { packageRoot.appendingPathComponent("Benchmarks/classbench/\(set).rules").path }
}
