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
        let classifier = Classifier(try PolicyCompiler.compile(set))
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
}
