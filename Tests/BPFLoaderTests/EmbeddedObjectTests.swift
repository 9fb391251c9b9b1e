// The embedded objects: what they contain (no privilege needed), and that the verifier accepts
// them with every map sized for a table of 100K terms per chain (1563 words per row).

import BPFEmbedded
import BPFLoader
import CVerdictABI
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
}
