// The kernel against the Swift fast path, point by point: every probe of every conformance case
// and example, and the first 2,000 headers of each ClassBench 1K set, through BPF_PROG_TEST_RUN
// on a table BPFTablePlane loaded, give the policing points (chain, endpoint, deciding rule,
// allow) Classifier.classify gives.

import BPFDataPlane
import BPFImage
import BPFLoader
import TestFixtures
import Testing

@Suite("Kernel == Classifier", .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: bpfUnavailable)))
struct KernelDifferentialTests {
    @Test("every conformance case, through XDP", arguments: Paths.conformanceCases)
    func conformance(_ name: String) throws {
        let f = try Fixture.conformance(name)
        let plane = try BPFTablePlane(f.table, object: .xdp, headroom: 0)
        let n = try TablePlaneTests.expectAgreement(f, plane)
        #expect(n > 0 || f.keys.isEmpty)
    }

    @Test("every example, through TC egress and XDP", arguments: Paths.exampleNames)
    func examples(_ name: String) throws {
        let f = try Fixture.example(name)
        let tc = try BPFTablePlane(f.table, object: .tc, headroom: 0)
        let n = try TablePlaneTests.expectAgreement(f, tc, hook: .tcEgress)
        let xdp = try BPFTablePlane(f.table, object: .xdp, headroom: 0)
        #expect(try TablePlaneTests.expectAgreement(f, xdp) == n)
        #expect(n > 0)
    }

    @Test("2,000 headers of each ClassBench 1K set, addressed to the subject pod",
          arguments: Paths.classBenchSets)
    func classBench(_ set: String) throws {
        let f = try Fixture.classBench(set, headers: 2000)
        #expect(f.keys.count == 2000)
        let plane = try BPFTablePlane(f.table, object: .xdp, headroom: 0)
        let n = try TablePlaneTests.expectAgreement(f, plane)
        print("kernel == Classifier: \(set): \(n) headers")
        #expect(n == 2000)
    }
}
