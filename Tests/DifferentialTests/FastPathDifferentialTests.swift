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
