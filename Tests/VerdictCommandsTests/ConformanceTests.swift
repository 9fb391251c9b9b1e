// SEMANTICS §9 as data: every probe of every conformance case, answered by the reference evaluator.
// The same table will drive the fast path and the BPF program (issues 4 and 5).

import Foundation
import PolicyModel
import ReferenceEvaluator
import TestFixtures
import Testing

struct ConformanceTests {
    static func policySet(for caseDir: URL) throws -> PolicySet { try Fixture.conformancePolicySet(caseDir) }

    @Test("every conformance case directory has probes") func casesExist() {
        #expect(FixturePaths.conformanceCases.count >= 40, "expected the §9 cases under Tests/Fixtures/conformance")
    }

    @Test("conformance probe verdicts", arguments: FixturePaths.conformanceCases)
    func conformance(_ name: String) throws {
        let dir = FixturePaths.conformance.appendingPathComponent(name)
        let set = try Self.policySet(for: dir)
        let evaluator = ReferenceEvaluator(set)
        let probes = try ProbeLoader.load(path: dir.appendingPathComponent("probes.json").path)
        #expect(!probes.isEmpty)
        for probe in probes {
            let r = try evaluator.resolve(probe)
            let v = evaluator.evaluate(r.packet, from: r.source, to: r.destination)
            guard let expect = probe.expect else { continue }
            let trail = v.points.map { "    " + TrailText.line($0) }.joined(separator: "\n")
            #expect(v.verdict.rawValue == expect,
                    "\(name) \(probe.id ?? "?"): \(probe.description ?? "") — \(v.packet) got \(v.verdict.rawValue)\n\(trail)")
        }
    }

    @Test("examples give their expected verdicts", arguments: FixturePaths.exampleNames)
    func examples(_ name: String) throws {
        let dir = FixturePaths.examples.appendingPathComponent(name)
        let set = try PolicySet.resolve(ResourceLoader.load([.init(dir.path)], recursive: false))
        let evaluator = ReferenceEvaluator(set)
        let probes = try ProbeLoader.load(path: dir.appendingPathComponent("probes.json").path)
        #expect(!probes.isEmpty)
        for probe in probes {
            let r = try evaluator.resolve(probe)
            let v = evaluator.evaluate(r.packet, from: r.source, to: r.destination)
            #expect(probe.expect != nil, "\(name) \(probe.id ?? "?") has no expect")
            if let expect = probe.expect {
                #expect(v.verdict.rawValue == expect, "\(name) \(probe.id ?? "?"): \(v.packet) got \(v.verdict.rawValue)")
            }
        }
    }
}

/// A one-line rendering of a trail for failure messages.
enum TrailText {
    static func line(_ t: Trail) -> String {
        "\(t.endpoint) \(t.direction.rawValue) [\(t.stage.rawValue)] \(t.verdict.rawValue) (\(t.decision))"
    }
}
