// BPFTablePlane: load, run, hits and reload through the kernel (BPF_PROG_TEST_RUN).

import BPFDataPlane
import BPFImage
import BPFLoader
import CVerdictABI
import Classifier
import MatchTable
import TestFixtures
import Testing

@Suite("BPFTablePlane", .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: bpfUnavailable)))
struct TablePlaneTests {
    /// Every probe of `f` through `plane`: the points equal the Classifier's; returns the keys run.
    @discardableResult
    static func expectAgreement(_ f: Fixture, _ plane: BPFTablePlane, hook: BPFHook? = nil, label: String = "",
                                countHitsInto classifier: Classifier? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        var n = 0
        for (i, k0) in f.keys.enumerated() {
            guard let k = Frames.representable(k0) else { continue }
            let want = BPFVerdict(f.classifier.classify(k))
            let r = try plane.run(Frames.frame(k, id: UInt16(truncatingIfNeeded: i)), hook: hook)
            guard let ct = r.conntrack, ct != .unparsed && ct != .noTable else {
                Issue.record("\(f.name)\(label) key \(i) \(k): conntrack \(r.result.conntrack)", sourceLocation: sourceLocation)
                continue
            }
            #expect(r.policy == want, "\(f.name)\(label) key \(i) \(k):\n  kernel:     \(r.policy)\n  classifier: \(want)",
                    sourceLocation: sourceLocation)
            if ct == .new, let classifier { classifier.count(classifier.classify(k)) }
            n += 1
        }
        return n
    }

    @Test("a table loads as generation 0, sized with headroom, and answers as the Classifier does")
    func load() throws {
        let f = try Fixture.example("zero-trust-k8s")
        let plane = try BPFTablePlane(f.table, object: .xdp, headroom: 0.5)
        let need = BPFMapCapacity.required(for: f.table)
        #expect(plane.activeGeneration == 0)
        #expect(plane.capacity.holds(need) && plane.capacity != need)
        #expect(try plane.object.map("vd_rows").maxEntries == plane.capacity.maxEntries(of: .rows))
        #expect(try plane.object.map("vd_hits").maxEntries == plane.capacity.maxEntries(of: .rules))
        #expect(try Self.expectAgreement(f, plane) > 0)
    }

    @Test("per-rule hits come back per chain and rule, summed over CPUs, as the Classifier counts them")
    func hits() throws {
        let f = try Fixture.example("zero-trust-calico")
        let plane = try BPFTablePlane(f.table, object: .tc)
        let counter = Classifier(f.table)
        try Self.expectAgreement(f, plane, hook: .tcEgress, countHitsInto: counter)
        let hits = try plane.hits()
        #expect(hits.count == f.table.chains.count)
        var total: UInt64 = 0
        for c in 0..<f.table.chains.count {
            #expect(hits[c].count == f.table.rules(chain: c).count)
            for r in 0..<hits[c].count {
                #expect(hits[c][r] == counter.hits(chain: c, rule: r), "chain \(c) rule \(r)")
                total += hits[c][r]
            }
        }
        #expect(total > 0)
    }

    @Test("a run on an object without that program, or a timestamp on XDP, is a BPFError")
    func misuse() throws {
        let f = try Fixture.example("zero-trust-k8s")
        let plane = try BPFTablePlane(f.table, object: .xdp)
        let frame = Frames.frame(Frames.representable(f.keys[0])!, id: 1)
        #expect(throws: BPFError.self) { try plane.run(frame, hook: .tcIngress) }
        #expect(throws: BPFError.self) { try plane.run(frame, timestampNanoseconds: 1) }
        #expect(throws: BPFError.self) { try plane.flip() }
        #expect(throws: BPFError.self) { try BPFTablePlane(f.table, object: .xdp, replayClock: true) }
    }

    @Test("a reload that does not fit the maps is refused and leaves the active table answering")
    func reloadTooLarge() throws {
        let small = try Fixture.example("icmp-howto")
        let large = try Fixture.example("zero-trust-calico")
        let plane = try BPFTablePlane(small.table, object: .xdp, headroom: 0)
        guard !plane.capacity.holds(BPFMapCapacity.required(for: large.table)) else { return }
        do throws(BPFError) {
            try plane.reload(large.table)
            Issue.record("the reload should not fit")
        } catch {
            #expect(error.errno == 7 && error.message.contains("does not fit"), "\(error)")
        }
        #expect(plane.activeGeneration == 0)
        try Self.expectAgreement(small, plane)
    }
}

@Suite("Generation flip", .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: bpfUnavailable)))
struct GenerationFlipTests {
    @Test("A answers until the flip (B staged in the other generation), B after it, A again after a second reload")
    func flip() throws {
        let a = try Fixture.example("zero-trust-k8s")
        let b = try Fixture.example("zero-trust-calico")
        let room = BPFMapCapacity.required(for: a.table).union(.required(for: b.table))
        let plane = try BPFTablePlane(a.table, object: .xdp, headroom: 0, minimumCapacity: room)
        #expect(plane.activeGeneration == 0)
        try TablePlaneTests.expectAgreement(a, plane, label: " [A, gen 0]")

        try plane.stage(b.table)
        #expect(plane.hasStagedTable && plane.activeGeneration == 0)
        // Both probe sets, answered by A: B's data sits in generation 1, unreachable.
        try TablePlaneTests.expectAgreement(a, plane, label: " [A, B staged]")
        try TablePlaneTests.expectAgreement(Fixture(name: b.name + " asked of A", table: a.table, keys: b.keys), plane, label: " [A, B staged]")

        try plane.flip()
        #expect(plane.activeGeneration == 1 && !plane.hasStagedTable)
        try TablePlaneTests.expectAgreement(b, plane, label: " [B, gen 1]")
        try TablePlaneTests.expectAgreement(Fixture(name: a.name + " asked of B", table: b.table, keys: a.keys), plane, label: " [B, gen 1]")

        // Back to A in generation 0: B's stale LPM keys there are gone, only A's remain.
        try plane.reload(a.table)
        #expect(plane.activeGeneration == 0)
        try TablePlaneTests.expectAgreement(a, plane, label: " [A, gen 0 again]")
        try TablePlaneTests.expectAgreement(Fixture(name: b.name + " asked of A", table: a.table, keys: b.keys), plane, label: " [A, gen 0 again]")
        let a0 = try BPFTableImage(a.table, generation: 0, capacity: plane.capacity)
        let b1 = try BPFTableImage(b.table, generation: 1, capacity: plane.capacity)
        let ip4 = try plane.object.map("vd_ip4").keys(as: vd_lpm4_key.self)
        #expect(ip4.count == a0.ip4Keys.count + b1.ip4Keys.count)
        #expect(ip4.filter { $0.generation == UInt32(0).bigEndian }.count == a0.ip4Keys.count)
    }
}
