// The embedded objects: what they contain (no privilege needed), and that the verifier accepts
// them with every map sized for a table of 100K terms per chain (1563 words per row).

import BPFEmbedded
import BPFLoader
import CVerdictABI
import Packets
import Testing

@Suite("Embedded BPF objects")
struct EmbeddedObjectTests {
    static let mapNames = ["vd_cfg", "vd_gen", "vd_ip4", "vd_ip6", "vd_eps", "vd_nodes", "vd_class", "vd_rows",
                           "vd_term_rule", "vd_rules", "vd_hits", "vd_last", "vd_ct"]

    @Test("both objects open and hold the documented maps and programs")
    func contents() throws {
        let xdp = try BPFObject(bytes: BPFEmbedded.policyXDP, name: "policy_xdp")
        let tc = try BPFObject(bytes: BPFEmbedded.policyTC, name: "policy_tc")
        #expect(xdp.programs.map(\.name) == ["vd_xdp"])
        #expect(xdp.programs.map(\.section) == ["xdp"])
        #expect(Set(tc.programs.map(\.name)) == ["vd_tc_ingress", "vd_tc_egress"])
        #expect(tc.programs.allSatisfy { $0.section == "tc" && $0.kind == .tc })
        for o in [xdp, tc] {
            let names = o.maps.map(\.name).filter { !$0.contains(".") }
            #expect(Set(names) == Set(Self.mapNames))
            // The kernel keeps 15 characters of a name: they must stay distinct.
            #expect(Set(names.map { $0.prefix(15) }).count == names.count)
            #expect(try o.map("vd_ip4").keySize == MemoryLayout<vd_lpm4_key>.size)
            #expect(try o.map("vd_ip6").keySize == MemoryLayout<vd_lpm6_key>.size)
            #expect(try o.map("vd_gen").valueSize == MemoryLayout<vd_bpf_generation>.size)
            #expect(try o.map("vd_rules").valueSize == MemoryLayout<vd_bpf_rule>.size)
            #expect(try o.map("vd_last").valueSize == MemoryLayout<vd_bpf_result>.size)
            #expect(try o.map("vd_ct").keySize == MemoryLayout<vd_ct_key>.size)
            #expect(try o.map("vd_ct").valueSize == MemoryLayout<vd_ct_value>.size)
            #expect(try o.map("vd_hits").isPerCPU)
            #expect(try o.map("vd_last").isPerCPU)
            #expect(try o.map("vd_cfg").maxEntries == 1)
            #expect(try o.map("vd_gen").maxEntries == VD_BPF_GENERATIONS)
        }
    }

    @Test("garbage is refused with a BPFError, not a crash")
    func garbage() {
        #expect(throws: BPFError.self) { try BPFObject(bytes: [UInt8](repeating: 0x7f, count: 64), name: "junk") }
        #expect(throws: BPFError.self) { try BPFObject(bytes: [], name: "empty") }
    }

    @Test("map sizes and globals are settable before load only")
    func beforeLoad() throws {
        let o = try BPFObject(bytes: BPFEmbedded.policyTC, name: "policy_tc")
        try o.map("vd_rows").setMaxEntries(1234)
        #expect(try o.map("vd_rows").maxEntries == 1234)
        try o.setReadOnlyGlobal("vd_replay_clock", to: UInt32(1))
        #expect(throws: BPFError.self) { try o.setReadOnlyGlobal("vd_replay_clock", to: UInt8(1)) }
        #expect(throws: BPFError.self) { try o.setReadOnlyGlobal("no_such_global", to: UInt32(1)) }
    }
}

@Suite("Verifier acceptance", .enabled(if: BPFCapabilities.current.canLoadPrograms,
                                       "BPF unavailable: \(BPFCapabilities.current.reason ?? "")"))
struct VerifierTests {
    @Test("every program loads with maps sized for 100K terms per chain", arguments: ["policy_xdp", "policy_tc"])
    func hundredThousandTerms(object name: String) throws {
        let o = try BPFObject(bytes: name == "policy_xdp" ? BPFEmbedded.policyXDP : BPFEmbedded.policyTC, name: name)
        try MapSizes.hundredThousandTerms.apply(to: o)
        try o.load(verifierStatistics: true)
        #expect(try o.map("vd_rows").maxEntries == MapSizes.hundredThousandTerms.rows)
        for p in o.programs {
            let stats = try #require(p.verifierStatistics, "no verifier statistics for \(p.name): \(p.verifierLog ?? "")")
            print("verifier: \(name)/\(p.name): \(p.instructionCount) instructions, \(stats.processedInstructions) processed, "
                  + "\(stats.totalStates) states (peak \(stats.peakStates)), stack \(stats.stackDepth), \(stats.verificationMicroseconds) µs")
            #expect(stats.processedInstructions < 1_000_000 / 4, "within a quarter of the kernel's limit")
            #expect(p.fd >= 0)
        }
    }

    /// Generation 0 of a table whose workload ingress chain has 100,000 terms (1563 words):
    /// every address is endpoint 0 (a workload without node), the egress chain allows, and the
    /// ingress chain's rows have bits only in `bits` (term → rule: term 0 → rule 0, every other
    /// term → rule 1); the dimensions in `dims` are not trivial (every key class 0, the same row).
    static func writeLongChain(_ o: BPFObject, dims: [Int], bits: [UInt32], rule0: vd_bpf_rule) throws {
        let terms: UInt32 = 100_000, words = (terms + 63) / 64
        #expect(words == 1563)
        try o.setConfig()
        try o.putV4("0.0.0.0", prefix: 0, atom: 0, endpoint: 0)
        try o.map("vd_eps").update(key: UInt32(0), value: vd_endpoint(name: 0, kind_name: 0, node: VD_NONE, kind: UInt8(VD_EP_WORKLOAD.rawValue), pad: (0, 0, 0)))
        // vd_class is all zeros: class 0 for every key of every dimension (map bases 0).
        var row = [UInt64](repeating: 0, count: Int(words))
        for t in bits { row[Int(t / 64)] |= 1 << UInt64(t % 64) }
        var rowKeys: [UInt32] = [], rowValues: [UInt64] = []
        for (i, _) in dims.enumerated() {
            rowKeys += (0..<words).map { UInt32(i) * words + $0 }
            rowValues += row
        }
        try o.map("vd_rows").updateBatch(keys: rowKeys, values: rowValues)
        try o.map("vd_term_rule").updateBatch(keys: Array(0...terms), values: [0] + [UInt32](repeating: 1, count: Int(terms) - 1) + [0])
        try o.map("vd_rules").updateBatch(keys: [0, 1, 10] as [UInt32], values: [rule0, rule(VD_ACTION_ALLOW), rule(VD_ACTION_ALLOW)])
        var mapBase: [Int: UInt32] = [:], rowBase: [Int: UInt32] = [:]
        for (i, d) in dims.enumerated() {
            mapBase[d] = 0
            rowBase[d] = UInt32(i) * words
        }
        let g = generation(endpoints: 1, nodes: 0, chains: [
            0: chain(terms: terms, termBase: 0, ruleBase: 0, mapBase: mapBase, rowBase: rowBase),
            1: chain(terms: 1, termBase: terms, ruleBase: 10),
        ])
        try o.map("vd_gen").update(key: UInt32(0), value: g)
    }

    @Test("the search walks all 1563 words of a 100K-term chain and follows Pass across them")
    func longChain() throws {
        let l = try Loaded("vd_xdp", sizes: .hundredThousandTerms)
        // Term 0 passes to term 1; the next matching term is the last one.
        try Self.writeLongChain(l.object, dims: [5], bits: [0, 99_999], rule0: rule(VD_ACTION_PASS, passTarget: 1))
        let frame = PacketBuilder.udp("10.0.0.1", 1000, "10.0.0.2", 80).frame()
        let r = try l.run(frame)
        #expect(r.allowed && r.decisions == [[1, 0, 0, 1], [0, 0, 1, 1]])
        let t = try l.program.testRun(frame, repeat: 200)
        print("bpf: 100K-term chain, 1 non-trivial dimension, last term after a Pass: \(t.durationNanoseconds) ns per packet (2 points)")

        // Six non-trivial dimensions whose rows are all ones but one zero word each time: the
        // slowest search (six lookups in each of 1563 words), ending at the last term.
        let w = try Loaded("vd_xdp", sizes: .hundredThousandTerms)
        try Self.writeLongChain(w.object, dims: [0, 1, 2, 3, 4, 5], bits: Array(1..<100_000), rule0: rule(VD_ACTION_DENY))
        // Clear one bit per word in the last dimension's row so no word matches before the last term.
        let last = UInt32(5) * 1563
        try w.object.map("vd_rows").updateBatch(keys: (0..<1562).map { last + $0 }, values: [UInt64](repeating: 0, count: 1562))
        try w.object.map("vd_rows").update(key: last + 1562, value: UInt64(1) << 31)
        let r6 = try w.run(frame)
        #expect(r6.allowed && r6.decisions == [[1, 0, 0, 1], [0, 0, 1, 1]])
        let t6 = try w.program.testRun(frame, repeat: 50)
        print("bpf: 100K-term chain, 6 non-trivial dimensions, 1563 words read: \(t6.durationNanoseconds) ns per packet (2 points)")
    }
}
