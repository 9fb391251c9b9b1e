// The Swift fast path on generated ClassBench-shaped sets compiled without rows, the form of tables
// too large for them: every header goes through the term index (TermIndex.swift), with its long
// lists split again by a second dimension, and must give the trace's expected first match — with
// each anchor cost model forced, and with the one the Classifier picks. The small random sets of
// FastPathDifferentialTests never grow lists that long.

import ClassBench
@testable import Classifier
import CVerdictABI
import MatchTable
import PolicyCompiler
import Testing
import Workloads

struct TermIndexClassBenchTests {
    @Test("term index: every header of 8,000-rule sets gives the expected rule, nested lists in use",
          arguments: ClassBenchProfile.allCases, [[TermIndex.CostModel.keys], [.traffic], TermIndex.CostModel.allCases])
    func generatedSets(_ profile: ClassBenchProfile, costModels: [TermIndex.CostModel]) throws {
        let w = ClassBenchWorkload(profile: profile, ruleCount: 8000, packets: 20_000, seed: 7)
        let policy = try ClassBenchPolicy(rules: w.rules, file: "generated.rules")
        let table = try PolicyCompiler.compile(policy.policySet, options: .termIndexOnly)
        #expect(!table.hasBitVectors)
        let classifier = Classifier(table, termIndexCostModels: costModels)
        if costModels == [.keys] {
            #expect(classifier.termIndexNestedGroups > 0, "no list was long enough to be split: the nested path is untested")
        }
        try Self.check(classifier, table, policy, w)
    }

    /// Limits that make the paths the standard layout leaves unused on these sets reachable:
    /// nodes left shared instead of merged (keys naming several lists), groups kept at one
    /// interval, and packets naming more lists and groups than a batch item holds.
    static let layouts: [(name: String, layout: TermIndex.Layout)] = [
        ("shared nodes", TermIndex.Layout(nestThreshold: 2, minGroup: 1, flattenFactor: 0, flattenSlack: 0)),
        ("one-interval groups", TermIndex.Layout(nestThreshold: 2, minGroup: 1, nestedFactor: 0, nestedSlack: 0)),
    ]

    @Test("term index under shrunk limits: shared lists, one-interval groups and overflowing packets give the expected rules",
          arguments: ClassBenchProfile.allCases, [0, 1])
    func shrunkLayouts(_ profile: ClassBenchProfile, layoutIndex: Int) throws {
        let (name, layout) = Self.layouts[layoutIndex]
        let w = ClassBenchWorkload(profile: profile, ruleCount: 8000, packets: 20_000, seed: 7)
        let policy = try ClassBenchPolicy(rules: w.rules, file: "generated.rules")
        let table = try PolicyCompiler.compile(policy.policySet, options: .termIndexOnly)
        let classifier = Classifier(table, termIndexCostModels: [.keys], termIndexLayout: layout)
        let chain = try #require(table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS))
        let index = try #require(classifier.views[chain].termIndex).pointee
        if layoutIndex == 0 {
            #expect(index.refCount > 0, "\(name): no key names more than one list")
        } else {
            #expect((0..<index.groupCount).contains { index.groups[$0].leaves == 1 }, "\(name): no group kept at one interval")
        }
        // Some packet names more lists and groups than a batch item holds: on fw's set under both
        // layouts (its rules name the most dimensions: up to 23 and 14 items a packet with seed 7;
        // acl and ipc stay at 8–21, not always past 12).
        let v = classifier.views[chain]
        let overflowing = (0..<w.trace.count).contains { i in
            let p = policy.packet(w.trace, i)
            let key = PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                                sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
            var k = [UInt32(policy.endpointIndex), UInt32(classifier.atom(of: key.source)), UInt32(classifier.atom(of: key.destination)),
                     UInt32(Classifier.protoKey(v, key)), key.sourcePortKey, key.destinationPortKey]
            return index.itemCount(&k) > TermIndex.itemMax
        }
        if profile == .fw { #expect(overflowing, "\(name): no packet takes the one-packet path from a batch") }
        try Self.check(classifier, table, policy, w)
    }

    /// Every header's rule, one packet per call, is the trace's expected one, and the batch entry
    /// point gives the same rules.
    static func check(_ classifier: Classifier, _ table: MatchTable, _ policy: ClassBenchPolicy, _ w: ClassBenchWorkload) throws {
        let chain = try #require(table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS))
        var names: [UInt32: String] = [:]
        let classBenchOfRule: [Int32] = table.rules(chain: chain).map { r in
            guard r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) else { return -1 }
            if names[r.policy] == nil { names[r.policy] = table.string(r.policy) }
            return policy.classBenchIndex(policy: names[r.policy]!, rule: Int(r.index))
        }
        var mismatches: [String] = []
        for i in 0..<w.trace.count {
            let p = policy.packet(w.trace, i)
            let key = PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                                sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
            let rule = classifier.classifyPoint(chain: chain, endpoint: policy.endpointIndex, key: key)
            let got = rule == VD_NONE ? -1 : classBenchOfRule[Int(rule)]
            if got != w.trace.expected[i] && mismatches.count < 5 { mismatches.append("header \(i): expected \(w.trace.expected[i]), got \(got)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        // The batch entry point (staged, prefetching lookups) gives the same rules.
        let keys = (0..<w.trace.count).map { i in
            let p = policy.packet(w.trace, i)
            return PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                             sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
        }
        var batch = [UInt32](repeating: 0, count: keys.count)
        keys.withUnsafeBufferPointer { k in
            batch.withUnsafeMutableBufferPointer { o in classifier.classifyPoints(chain: chain, endpoint: policy.endpointIndex, keys: k, into: o) }
        }
        let differing = keys.indices.filter { batch[$0] != classifier.classifyPoint(chain: chain, endpoint: policy.endpointIndex, key: keys[$0]) }
        #expect(differing.isEmpty, "batch differs from one-packet lookups at headers \(differing.prefix(5))")
    }
}
