// The compiled table and the Swift fast path against the reference evaluator, on seeded random
// policy sets and rule-directed random packets: every packet must get the same verdict and the
// same deciding rule or default at every policing point. A failure is shrunk to a minimal
// reproducer (YAML + packet + both answers) in the failure message.

import Classifier
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import TestFixtures
import Testing

enum FastPathEngine {
    static func factory(_ set: PolicySet) throws -> (Packet) -> EngineAnswer {
        try factory(set, options: CompileOptions())
    }

    /// Tables without bit vectors: the Classifier's term index answers.
    static func termIndexFactory(_ set: PolicySet) throws -> (Packet) -> EngineAnswer {
        try factory(set, options: .termIndexOnly)
    }

    static func factory(_ set: PolicySet, options: CompileOptions) throws -> (Packet) -> EngineAnswer {
        let classifier = Classifier(try PolicyCompiler.compile(set, options: options))
        return { p in
            let v = classifier.classify(Fixture.key(p))
            return EngineAnswer(verdict: v.allow ? "allow" : "deny", points: v.points.map { point in
                let d = classifier.describe(point)
                return EngineAnswer.Point(endpoint: d.endpoint, direction: d.direction, stage: d.stage, verdict: d.verdict, decision: d.decision)
            })
        }
    }
}

struct FastPathDifferentialTests {
    @Test("fast path == reference: 300 random policy sets × 1000 random packets")
    func randomSets() {
        let failures = runDifferential(seeds: 0..<300, packetsPerSet: 1000, engine: FastPathEngine.factory)
        #expect(failures.isEmpty, "\(failures.count) disagreements; first:\n\(failures.first.map(\.description) ?? "")")
    }

    @Test("term index == reference: 150 random policy sets × 1000 random packets (tables without bit vectors)")
    func randomSetsTermIndex() {
        let failures = runDifferential(seeds: 1000..<1150, packetsPerSet: 1000, engine: FastPathEngine.termIndexFactory)
        #expect(failures.isEmpty, "\(failures.count) disagreements; first:\n\(failures.first.map(\.description) ?? "")")
    }
}

/// The batch entry point against the one-packet one (checked against the reference above), on
/// both table forms: the term index's batch lookup runs in staged groups with prefetches, and the
/// bit-vector one in groups of eight; neither may change an answer, Pass targets included.
struct FastPathBatchTests {
    @Test("classifyPoints == classifyPoint on every chain and endpoint: 60 random sets × 600 packets, both table forms",
          arguments: ["rows", "term index"])
    func batchEqualsSingle(form: String) throws {
        let h = DifferentialHarness()
        var checked = 0, wrong: [String] = []
        for seed in UInt64(2000)..<2060 {
            guard case let .success(c) = h.makeCase(seed: seed) else { continue }
            let table = try PolicyCompiler.compile(c.set, options: form == "rows" ? CompileOptions() : .termIndexOnly)
            #expect(table.hasBitVectors == (form == "rows"))
            let classifier = Classifier(table)
            var gen = RandomPacketGenerator(seed: seed, set: c.set)
            let keys = gen.packets(600).map(Fixture.key)
            var out = [UInt32](repeating: 0, count: keys.count)
            for chain in 0..<table.chains.count {
                for endpoint in 0..<table.endpoints.count {
                    keys.withUnsafeBufferPointer { k in
                        out.withUnsafeMutableBufferPointer { o in classifier.classifyPoints(chain: chain, endpoint: endpoint, keys: k, into: o) }
                    }
                    for (i, key) in keys.enumerated() {
                        let single = classifier.classifyPoint(chain: chain, endpoint: endpoint, key: key)
                        checked += 1
                        if out[i] != single && wrong.count < 5 { wrong.append("seed \(seed) chain \(chain) endpoint \(endpoint) packet \(i): batch \(out[i]), single \(single)") }
                    }
                }
            }
        }
        #expect(checked > 100_000, "only \(checked) answers compared")
        #expect(wrong.isEmpty, "\(wrong)")
    }
}
