// The same conformance table, answered by the compiled table and the Swift fast path: every
// probe must get the reference evaluator's verdict *and* the same deciding rule at every
// policing point.

import Classifier
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import TestFixtures
import Testing

enum FastPathComparison {
    /// Lines describing both answers; equal when the engines agree.
    static func lines(reference v: ConnectionVerdict) -> [String] {
        ["verdict \(v.verdict.rawValue)"] + v.points.map {
            "\($0.endpoint) \($0.direction.rawValue) \($0.stage.rawValue) \($0.verdict.rawValue) \(DecisionText.compact($0.decision))"
        }
    }

    static func lines(fast v: PathVerdict, _ c: Classifier) -> [String] {
        ["verdict \(v.allow ? "allow" : "deny")"] + v.points.map {
            let d = c.describe($0)
            return "\(d.endpoint) \(d.direction) \(d.stage) \(d.verdict) \(d.decision)"
        }
    }
}

struct FastPathConformanceTests {
    /// Every probe of `probesPath` through the reference and the fast path: same verdict, same
    /// deciding rule at every point, with both table forms (bit vectors, and the term index of
    /// tables too large for them).
    func compareEngines(_ set: PolicySet, probesPath: String, name: String) throws {
        try compareEngines(set, probesPath: probesPath, name: name, options: CompileOptions())
        try compareEngines(set, probesPath: probesPath, name: name + " (term index)", options: .termIndexOnly)
    }

    func compareEngines(_ set: PolicySet, probesPath: String, name: String, options: CompileOptions) throws {
        let evaluator = ReferenceEvaluator(set)
        let table = try PolicyCompiler.compile(set, options: options)
        #expect(table.hasBitVectors == (options.bitVectorBudget >= 0))
        let classifier = Classifier(table)
        for probe in try ProbeLoader.load(path: probesPath) {
            let r = try evaluator.resolve(probe)
            let ref = FastPathComparison.lines(reference: evaluator.evaluate(r.packet, from: r.source, to: r.destination))
            let fast = FastPathComparison.lines(fast: classifier.classify(Fixture.key(r.packet)), classifier)
            #expect(ref == fast, "\(name) \(probe.id ?? "?"): \(r.packet)\nreference:\n  \(ref.joined(separator: "\n  "))\nfast path:\n  \(fast.joined(separator: "\n  "))")
        }
    }

    @Test("conformance probes: fast path == reference", arguments: FixturePaths.conformanceCases)
    func conformance(_ name: String) throws {
        let dir = FixturePaths.conformance.appendingPathComponent(name)
        try compareEngines(try ConformanceTests.policySet(for: dir), probesPath: dir.appendingPathComponent("probes.json").path, name: name)
    }

    @Test("examples: fast path == reference", arguments: FixturePaths.exampleNames)
    func examples(_ name: String) throws {
        let dir = FixturePaths.examples.appendingPathComponent(name)
        let set = try PolicySet.resolve(ResourceLoader.load([.init(dir.path)], recursive: false))
        try compareEngines(set, probesPath: dir.appendingPathComponent("probes.json").path, name: name)
    }

    @Test("compilation is deterministic: byte-identical tables", arguments: FixturePaths.exampleNames)
    func deterministic(_ name: String) throws {
        let dir = FixturePaths.examples.appendingPathComponent(name)
        let a = try PolicyCompiler.compile(PolicySet.resolve(ResourceLoader.load([.init(dir.path)], recursive: false)))
        let b = try PolicyCompiler.compile(PolicySet.resolve(ResourceLoader.load([.init(dir.path)], recursive: false)))
        #expect(a.bytes == b.bytes)
    }
}
