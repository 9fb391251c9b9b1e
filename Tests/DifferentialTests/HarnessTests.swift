// The harness and the shrinker, tested with deliberately wrong engines: disagreements must be
// reported, and shrunk to a tiny reproducer that still disagrees.

import PolicyModel
import ReferenceEvaluator
import Testing

@Suite("Differential harness and shrinker")
struct HarnessTests {
    private func checkShrunk(_ failures: [Failure], engine: EngineFactory, what: String) {
        let shrunk = failures.compactMap(\.minimal)
        #expect(!shrunk.isEmpty, "\(what): nothing was shrunk")
        for m in shrunk {
            #expect(m.scenario.policyCount <= 2, "\(what): \(m)")
            #expect(m.scenario.ruleCount <= 3, "\(what): \(m)")
            // The reproducer still disagrees when loaded from its own YAML.
            if case .disagree = DifferentialHarness.check(m.scenario, m.packet, seed: 0, engine: engine) {} else {
                Issue.record("\(what): the minimal reproducer no longer disagrees:\n\(m)")
            }
        }
        if let first = failures.first(where: { $0.minimal != nil }) {
            print("[DifferentialTests] \(what): \(failures.count) failing set(s); the first, shrunk:\n\(first)")
        }
    }

    @Test("an engine that turns the first Allow rule into Deny is caught and shrunk")
    func swappedAllow() {
        var h = DifferentialHarness()
        h.packetsPerSet = 200
        h.maxShrunk = 2
        let engine: EngineFactory = { Engines.reference(Engines.swappingFirstAllow($0.set)) }
        let (report, t) = timed { h.run(cases: Array(Corpus.cases.prefix(20)), engine: engine) }
        print("[DifferentialTests] swapped-allow engine: \(report.failures.count) failing sets of 20 in \(seconds(t))")
        #expect(report.failures.count >= 5)
        checkShrunk(report.failures, engine: engine, what: "swapped Allow")
    }

    @Test("an engine that ignores notPorts is caught and shrunk")
    func ignoresNotPorts() {
        var h = DifferentialHarness()
        h.packetsPerSet = 300
        h.maxShrunk = 2
        let engine: EngineFactory = { Engines.reference(Engines.ignoringNotPorts($0.set)) }
        let (report, t) = timed { h.run(cases: Array(Corpus.cases.prefix(60)), engine: engine) }
        print("[DifferentialTests] notPorts-ignoring engine: \(report.failures.count) failing sets of 60 in \(seconds(t))")
        #expect(report.failures.count >= 1)
        checkShrunk(report.failures, engine: engine, what: "ignored notPorts")
        // The minimal reproducer keeps the notPorts that makes the difference.
        for m in report.failures.compactMap(\.minimal) {
            let rules = m.scenario.policies.flatMap { $0.ingress + $0.egress } + m.scenario.profiles.flatMap { $0.ingress + $0.egress }
            #expect(rules.contains { !($0.source?.notPorts ?? []).isEmpty || !($0.destination?.notPorts ?? []).isEmpty }, "\(m)")
        }
    }

    @Test("an engine that cannot be built is reported and shrunk")
    func throwingEngine() {
        struct Unsupported: Error, CustomStringConvertible { var description: String { "no notICMP support" } }
        var h = DifferentialHarness()
        h.packetsPerSet = 10
        h.maxShrunk = 1
        let engine: EngineFactory = { input in
            let rules = input.set.allPolicies.flatMap { $0.ingress + $0.egress }
            if rules.contains(where: { $0.notICMP != nil }) { throw Unsupported() }
            return Engines.reference(input.set)
        }
        let report = h.run(cases: Array(Corpus.cases.prefix(40)), engine: engine)
        #expect(!report.failures.isEmpty)
        let m = report.failures.compactMap(\.minimal).first
        #expect(m?.engineError == "no notICMP support")
        #expect(m.map { $0.scenario.policyCount == 1 && $0.scenario.ruleCount == 1 } == true, "\(m.map(\.description) ?? "-")")
    }

    @Test("runDifferential with the reference itself reports nothing; with a wrong engine, failures")
    func freeFunction() {
        #expect(runDifferential(seeds: 0..<20, packetsPerSet: 150) { Engines.reference($0) }.isEmpty)
        let failures = runDifferential(seeds: 0..<20, packetsPerSet: 150) { Engines.reference(Engines.swappingFirstAllow($0)) }
        #expect(!failures.isEmpty)
        #expect(failures.contains { $0.description.contains("minimal reproducer") })
    }
}
