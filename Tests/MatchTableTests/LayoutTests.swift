// vd_abi.h is the one description of the table that Swift and bpf/ share. C pins the sizes with
// _Static_assert; this test pins what Swift sees (sizes, strides and field offsets), so a change
// to the header that moves a field fails here as well as in the BPF build.

import CVerdictABI
import Testing

struct LayoutTests {
    @Test("struct sizes match the C header's static asserts")
    func sizes() {
        #expect(MemoryLayout<vd_table_header>.size == 64)
        #expect(MemoryLayout<vd_section>.size == 24)
        #expect(MemoryLayout<vd_ip6>.size == 16)
        #expect(MemoryLayout<vd_atom>.size == 4)
        #expect(MemoryLayout<vd_endpoint>.size == 16)
        #expect(MemoryLayout<vd_node>.size == 8)
        #expect(MemoryLayout<vd_chain>.size == 40)
        #expect(MemoryLayout<vd_rule>.size == 36)
        #expect(MemoryLayout<vd_rule>.stride == 36)
        #expect(MemoryLayout<vd_span>.size == 8)
        #expect(MemoryLayout<vd_span>.offset(of: \.count) == 4)
        #expect(MemoryLayout<vd_key_range>.size == 8)
        #expect(MemoryLayout<vd_key_range>.offset(of: \.hi) == 4)
    }

    @Test("BPF map key and value sizes match the C header")
    func bpfSizes() {
        #expect(MemoryLayout<vd_bpf_config>.size == 16)
        #expect(MemoryLayout<vd_bpf_chain>.size == 72)
        #expect(MemoryLayout<vd_bpf_generation>.size == 24 + 6 * 72)
        #expect(MemoryLayout<vd_lpm4_key>.size == 12)
        #expect(MemoryLayout<vd_lpm6_key>.size == 24)
        #expect(MemoryLayout<vd_atom_ref>.size == 8)
        #expect(MemoryLayout<vd_bpf_rule>.size == 8)
        #expect(MemoryLayout<vd_bpf_point>.size == 12)
        #expect(MemoryLayout<vd_bpf_result>.size == 64)
        #expect(MemoryLayout<vd_ct_key>.size == 40)
        #expect(MemoryLayout<vd_ct_value>.size == 16)
        #expect(MemoryLayout<vd_bpf_chain>.offset(of: \.map_base) == 16)
        #expect(MemoryLayout<vd_bpf_chain>.offset(of: \.term_base) == 64)
        #expect(MemoryLayout<vd_bpf_generation>.offset(of: \.chains) == 24)
        #expect(MemoryLayout<vd_lpm4_key>.offset(of: \.addr) == 8)
        #expect(MemoryLayout<vd_ct_key>.offset(of: \.protocol) == 36)
    }

    @Test("field offsets")
    func offsets() {
        #expect(MemoryLayout<vd_table_header>.offset(of: \.checksum) == 24)
        #expect(MemoryLayout<vd_table_header>.offset(of: \.section_count) == 32)
        #expect(MemoryLayout<vd_table_header>.offset(of: \.flags) == 56)
        #expect(MemoryLayout<vd_section>.offset(of: \.count) == 12)
        #expect(MemoryLayout<vd_section>.offset(of: \.offset) == 16)
        #expect(MemoryLayout<vd_chain>.offset(of: \.term_count) == 4)
        #expect(MemoryLayout<vd_chain>.offset(of: \.class_count) == 16)
        #expect(MemoryLayout<vd_rule>.offset(of: \.pass_target) == 4)
        #expect(MemoryLayout<vd_rule>.offset(of: \.index) == 20)
        #expect(MemoryLayout<vd_rule>.offset(of: \.port) == 24)
        #expect(MemoryLayout<vd_rule>.offset(of: \.first_term) == 28)
        #expect(MemoryLayout<vd_endpoint>.offset(of: \.kind) == 12)
        #expect(MemoryLayout<vd_node>.offset(of: \.uplink) == 4)
    }

    @Test("constants")
    func constants() {
        #expect(VD_TABLE_MAGIC == 0x3145_4c42_4154_4456)  // "VDTABLE1"
        #expect(VD_PORT_KEYS == 65537 && VD_NO_PORT == 65536)
        #expect(VD_PROTO_KEYS_ICMP == 256 + 2 * 65536)
        #expect(VD_DIM_COUNT.rawValue == 6)
        #expect(VD_SECTION_ALIGN == 64)
    }
}
