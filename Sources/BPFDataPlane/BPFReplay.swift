// Captures through the kernel: each frame rewritten as Ethernet II, run through the TC program
// with BPF_PROG_TEST_RUN and `vd_replay_clock` (conntrack in capture time, DECISIONS 30), and
// its vd_last turned into the same PacketResult StatefulClassifier gives, so that replay's
// outputs and the kernel-vs-Swift comparison work on either engine (DECISIONS 31).

import Addresses
import BPFImage
import BPFLoader
import CVerdictABI
import Classifier
import MatchTable
import Packets

/// Captured frames as the Ethernet II frames BPF_PROG_TEST_RUN takes.
public enum EthernetFrame {
    /// The frame from an Ethernet header: Ethernet frames as they are; for the other link types
    /// a zero-MAC Ethernet header with the link layer's EtherType (Linux SLL/SLL2) or the IP
    /// version's (loopback, raw IP) in front of the bytes after the link header. Nil when the
    /// link header is cut or names no IP family (the Swift parser calls those unparsed too).
    public static func from(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> [UInt8]? {
        let n = bytes.count
        func be16(_ o: Int) -> UInt16 { UInt16(bytes[o]) << 8 | UInt16(bytes[o + 1]) }
        let etherType: UInt16
        let offset: Int
        switch linkType {
        case .ethernet:
            return Array(bytes)
        case .linuxSLL:
            guard n >= 16 else { return nil }
            etherType = be16(14)
            offset = 16
        case .linuxSLL2:
            guard n >= 20 else { return nil }
            etherType = be16(0)
            offset = 20
        case .null, .loop:
            guard n >= 4 else { return nil }
            let raw = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let le = UInt32(littleEndian: raw)
            switch le <= 0xFFFF ? le : UInt32(bigEndian: raw) {
            case 2: etherType = 0x0800
            case 10, 24, 28, 30: etherType = 0x86DD
            default: return nil
            }
            offset = 4
        case .raw:
            guard n >= 1 else { return nil }
            switch bytes[0] >> 4 {
            case 4: etherType = 0x0800
            case 6: etherType = 0x86DD
            default: return nil
            }
            offset = 0
        case .ipv4:
            etherType = 0x0800
            offset = 0
        case .ipv6:
            etherType = 0x86DD
            offset = 0
        }
        var out = [UInt8](repeating: 0, count: 12)
        out.reserveCapacity(14 + n - offset)
        out.append(UInt8(etherType >> 8))
        out.append(UInt8(etherType & 0xff))
        out.append(contentsOf: bytes[offset...])
        return out
    }
}

/// One packet of a capture as the kernel judged it.
public struct BPFPacketResult: @unchecked Sendable {
    /// The test run; nil when the frame was not given to the kernel (see `refused`).
    public var run: BPFRun?
    /// Why the frame was not run: its link header is cut or not IP, or it is shorter than an
    /// Ethernet header or longer than a test run takes.
    public var refused: String?
    /// The kernel's answer in StatefulClassifier's terms (policy from the points in vd_last).
    public var result: PacketResult
}

/// A capture's packets through the TC program, in order, with conntrack in capture time: the
/// kernel's twin of StatefulClassifier.
public final class BPFReplayEngine {
    public let plane: BPFTablePlane
    private var flowIDs: [FlowKey: Int] = [:]
    public private(set) var flowCount = 0

    /// Loads `table` into fresh maps of the TC object with `vd_replay_clock`, in node mode.
    public init(_ table: MatchTable, conntrackEntries: UInt32? = nil) throws(BPFError) {
        plane = try BPFTablePlane(table, object: .tc, headroom: 0, replayClock: true, conntrackEntries: conntrackEntries)
    }

    /// Added to every capture timestamp: skb->tstamp 0 means "no timestamp" to the program,
    /// which then reads the kernel clock; a constant shift keeps every interval exact.
    public static let clockOffsetNanoseconds: UInt64 = 1_000_000_000

    /// Judges one captured frame. `headers`/`outcome` are the Swift parser's view of the same
    /// bytes, used only for the flow number and for the reason of an unparsed packet.
    public func process(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, headers h: PacketHeaders, outcome: ParseOutcome,
                        timestampNanoseconds now: Int64) throws(BPFError) -> BPFPacketResult {
        let swiftReason = Self.unparsedReason(h, outcome: outcome)
        guard let frame = EthernetFrame.from(bytes, linkType: linkType) else {
            let why = swiftReason ?? "link header cut or not IP"
            return BPFPacketResult(run: nil, refused: why, result: Self.unparsed(why))
        }
        guard frame.count >= BPFTablePlane.minimumFrameLength else {
            let why = swiftReason ?? "shorter than an Ethernet header (\(frame.count) bytes)"
            return BPFPacketResult(run: nil, refused: why, result: Self.unparsed(why))
        }
        let ts = now > 0 ? UInt64(now) &+ Self.clockOffsetNanoseconds : Self.clockOffsetNanoseconds
        let run: BPFRun
        do throws(BPFError) {
            run = try plane.run(frame, hook: .tcIngress, timestampNanoseconds: ts)
        } catch {
            // EINVAL from the test run itself: a frame longer than one page takes.
            guard error.errno == 22 && error.operation.hasPrefix("bpf_prog_test_run") else { throw error }
            let why = "BPF_PROG_TEST_RUN refused the \(frame.count)-byte frame: \(error.message)"
            return BPFPacketResult(run: nil, refused: why, result: Self.unparsed(swiftReason ?? why))
        }
        return BPFPacketResult(run: run, refused: nil, result: result(of: run, headers: h, swiftReason: swiftReason))
    }

    /// The kernel's run as a PacketResult.
    func result(of run: BPFRun, headers h: PacketHeaders, swiftReason: String?) -> PacketResult {
        guard let state = run.conntrack, state != .unparsed else {
            return Self.unparsed(swiftReason ?? "unparsed by the BPF parser")
        }
        let policy = PathVerdict(run.policy)
        let id = FlowKey(h).map(flowID) ?? -1
        let mapped: ConntrackState
        switch state {
        case .new: mapped = .new
        case .established: mapped = .established
        case .related: mapped = .related
        case .invalid: mapped = .invalid
        case .fragment: mapped = .fragment
        case .untracked: mapped = .untracked
        case .unparsed: mapped = .unparsed
        case .noTable:
            return PacketResult(allow: run.passed, state: .new, policy: PathVerdict(), flowID: id, note: "no table in the active generation")
        }
        return PacketResult(allow: run.passed, state: mapped, policy: policy, flowID: id, note: nil)
    }

    private func flowID(_ key: FlowKey) -> Int {
        let c = key.canonical
        if let id = flowIDs[c] { return id }
        flowIDs[c] = flowCount
        flowCount += 1
        return flowCount - 1
    }

    /// StatefulClassifier's reason for calling a packet unparsed, or nil when it parses it.
    public static func unparsedReason(_ h: PacketHeaders, outcome: ParseOutcome) -> String? {
        guard outcome == .ok, h.ipVersion != 0 else { return outcome.description }
        let nonFirst = h.isFragment && !h.isFirstFragment
        if !h.l4Present && !nonFirst && (PacketHeaders.protocolHasPorts(h.protocol) || h.isICMP) { return "truncated-l4" }
        if FlowKey(h) == nil { return outcome.description }
        return nil
    }

    static func unparsed(_ why: String) -> PacketResult {
        PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, note: why)
    }
}

extension PathVerdict {
    /// The points of a BPF result (vd_bpf_point.kind is PointDecision.Kind's raw value).
    public init(_ v: BPFVerdict) {
        self.init()
        for p in v.points {
            append(PointDecision(kind: PointDecision.Kind(rawValue: p.kind) ?? .chain, allow: p.allow, chain: p.chain,
                                 endpoint: p.endpoint, rule: p.rule))
        }
    }
}

/// Where the kernel and Swift disagree about one packet.
public enum EngineComparison {
    /// The fields that differ: `verdict` (allow, deny or unparsed), `conntrack` (the state), and
    /// `points` (the policy verdict's points, when both classified the packet).
    public static func differences(swift s: PacketResult, bpf b: PacketResult) -> [String] {
        var out: [String] = []
        if s.allow != b.allow { out.append("verdict") }
        if s.state != b.state { out.append("conntrack") }
        if let sp = s.policy, let bp = b.policy, sp.allow != bp.allow || sp.points != bp.points { out.append("points") }
        return out
    }
}
