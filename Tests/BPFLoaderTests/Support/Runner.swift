// Running frames through the loaded programs with BPF_PROG_TEST_RUN and reading back vd_last.

import BPFEmbedded
import BPFLoader
import CVerdictABI
import Packets

/// One loaded object and its program(s), fresh maps per instance.
struct Loaded {
    let object: BPFObject
    let program: BPFProgram
    let isXDP: Bool

    /// `program`: vd_xdp, vd_tc_ingress or vd_tc_egress.
    init(_ program: String, sizes: MapSizes = MapSizes(), beforeLoad: (BPFObject) throws -> Void = { _ in }) throws {
        isXDP = program == "vd_xdp"
        object = try BPFObject(bytes: isXDP ? BPFEmbedded.policyXDP : BPFEmbedded.policyTC, name: isXDP ? "policy_xdp" : "policy_tc")
        try sizes.apply(to: object)
        try beforeLoad(object)
        try object.load()
        self.program = try object.program(program)
    }

    init(object: BPFObject, program: BPFProgram, isXDP: Bool) {
        self.object = object
        self.program = program
        self.isXDP = isXDP
    }

    struct Outcome {
        var allowed: Bool
        var result: vd_bpf_result
        var points: [vd_bpf_point] {
            withUnsafeBytes(of: result.points) { b in (0..<min(Int(result.count), 4)).map { b.load(fromByteOffset: $0 * 12, as: vd_bpf_point.self) } }
        }
        var conntrack: UInt32 { result.conntrack }
        /// (chain, endpoint, rule, allow) of every chain point.
        var decisions: [[UInt32]] { points.map { [UInt32($0.chain), $0.endpoint, $0.rule, UInt32($0.allow)] } }
    }

    /// Runs one frame; the result is the vd_last slot the run wrote (all others are cleared first).
    func run(_ frame: [UInt8], context: [UInt8]? = nil) throws -> Outcome {
        let last = try object.map("vd_last")
        let cpus = try last.lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self)?.count ?? 1
        try last.updatePerCPU(key: UInt32(0), values: [vd_bpf_result](repeating: vd_bpf_result(), count: cpus))
        let r = try program.testRun(frame, context: context)
        let written = try last.lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self)!.filter { r in
            withUnsafeBytes(of: r) { $0.contains { $0 != 0 } }
        }
        guard written.count == 1 else { throw RunError(message: "\(written.count) vd_last slots written") }
        let allowed: Bool
        if isXDP {
            allowed = r.returnValue == 2 // XDP_PASS
            guard r.returnValue == 1 || r.returnValue == 2 else { throw RunError(message: "XDP returned \(r.returnValue)") }
        } else {
            allowed = r.returnValue == 0 // TC_ACT_OK
            guard r.returnValue == 0 || r.returnValue == 2 else { throw RunError(message: "TC returned \(r.returnValue)") }
        }
        return Outcome(allowed: allowed, result: written[0])
    }

    func run(_ packet: PacketBuilder) throws -> Outcome { try run(packet.frame()) }
}

struct RunError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// vd_bpf_result.conntrack values (bpf/lib/consts.h enum vd_ct_state).
enum CT {
    static let new: UInt32 = 0, established: UInt32 = 1, related: UInt32 = 2, invalid: UInt32 = 3, unparsed: UInt32 = 4
    static let fragment: UInt32 = 5, untracked: UInt32 = 6, noTable: UInt32 = 7
}
