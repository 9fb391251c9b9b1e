// One packet of a capture, judged as a node would judge it: connection tracking first (§5), then
// policy for packets that start a flow. Also keeps the stateless "policy verdict" of every packet,
// which differs from the data-plane verdict for replies and related ICMP errors (§5.3).

import Addresses
import CVerdictABI
import Foundation
import Packets

public enum ConntrackState: String, Sendable, CaseIterable {
    /// Policy decided: the first packet of a flow (or a packet of a denied flow, which stays new).
    case new
    /// Part of a flow an allowed packet created, in either direction.
    case established
    /// An ICMP error quoting a tracked flow.
    case related
    /// No valid conntrack state: an ICMP error or echo reply without a flow, or a TCP packet that
    /// cannot open one (RST, FIN, SYN-ACK, no flags). Dropped before policy.
    case invalid
    /// A non-first fragment, judged with its datagram's first fragment.
    case fragment
    /// Decided by untracked (doNotTrack) policy, which runs before conntrack for every packet.
    case untracked
    /// Not classifiable: the frame is not IP, or its headers were cut by the snapshot length.
    case unparsed
}

public struct PacketResult: Sendable {
    /// The data-plane verdict; nil when the packet could not be parsed.
    public var allow: Bool?
    public var state: ConntrackState
    /// What policy alone says for this packet as a new connection (nil when unparsed, and with
    /// StatefulClassifier.PolicyVerdicts.whereNeeded for packets conntrack decided alone).
    public var policy: PathVerdict?
    /// The flow this packet belongs to (-1 when unparsed; ``numberedByCaller`` when the
    /// classifier was told to leave this flow's number to its caller).
    public var flowID: Int
    /// The note as a number (``PacketNote``), so that a result is plain data: copying one on the
    /// replay path costs no reference counting.
    public var noteCode: PacketNote

    /// Why the packet is unparsed, or the INVALID reason.
    public var note: String? {
        get { noteCode.text }
        set { noteCode = PacketNote(newValue) }
    }

    /// The flow ID of a packet whose flow the caller numbers (StatefulClassifier.FlowNumbering).
    public static let numberedByCaller = -2

    public init(allow: Bool?, state: ConntrackState, policy: PathVerdict?, flowID: Int, note: String?) {
        self.init(allow: allow, state: state, policy: policy, flowID: flowID, noteCode: PacketNote(note))
    }

    public init(allow: Bool?, state: ConntrackState, policy: PathVerdict?, flowID: Int, noteCode: PacketNote) {
        self.allow = allow
        self.state = state
        self.policy = policy
        self.flowID = flowID
        self.noteCode = noteCode
    }
}

/// A ``PacketResult``'s note as a 16-bit code: 0 is no note, the codes below ``PacketNote/dynamicBase``
/// name the notes the Swift engine gives (parse outcomes, truncated-l4, the INVALID reasons), and
/// any other text (the kernel engine's refusals) is interned once per process in a table that
/// only grows, so equal texts get equal codes.
public struct PacketNote: Hashable, Sendable {
    public let code: UInt16

    init(code: UInt16) { self.code = code }

    public static let none = PacketNote(code: 0)
    static let truncatedL4 = PacketNote(code: 1)
    static let icmpErrorWithoutQuote = PacketNote(code: 2)
    static let icmpErrorQuotingNothing = PacketNote(code: 3)
    static let icmpReplyWithoutRequest = PacketNote(code: 4)
    static let tcpRST = PacketNote(code: 5)
    static let tcpSYNACK = PacketNote(code: 6)
    static let tcpFIN = PacketNote(code: 7)
    static let tcpNoSYNOrACK = PacketNote(code: 8)
    /// 16 + the parse outcome's raw value.
    static func outcome(_ o: ParseOutcome) -> PacketNote { PacketNote(code: 16 &+ UInt16(o.rawValue)) }
    static let dynamicBase: UInt16 = 64

    static let fixed: [UInt16: String] = {
        var t: [UInt16: String] = [
            1: "truncated-l4",
            2: "ICMP error without a quoted header",
            3: "ICMP error quoting no tracked flow",
            4: "ICMP reply without a request",
            5: "TCP RST without a connection",
            6: "TCP SYN-ACK without a SYN",
            7: "TCP FIN without a connection",
            8: "TCP packet without SYN or ACK",
        ]
        for o in ParseOutcome.allCases { t[16 + UInt16(o.rawValue)] = o.description }
        return t
    }()
    static let fixedCodes: [String: UInt16] = Dictionary(uniqueKeysWithValues: fixed.map { ($0.value, $0.key) })

    /// The note's text; nil for ``none``.
    public var text: String? {
        if code == 0 { return nil }
        if code < Self.dynamicBase { return Self.fixed[code] }
        return NoteTable.shared.text(code)
    }

    /// The code of a text (nil gives ``none``).
    public init(_ text: String?) {
        guard let text else { self = .none; return }
        if let c = Self.fixedCodes[text] { self.init(code: c); return }
        self.init(code: NoteTable.shared.code(text))
    }
}

/// Interned note texts beyond the fixed ones, shared by every thread.
final class NoteTable: @unchecked Sendable {
    static let shared = NoteTable()
    private let lock = NSLock()
    private var texts: [String] = []
    private var codes: [String: UInt16] = [:]

    func code(_ text: String) -> UInt16 {
        lock.lock()
        defer { lock.unlock() }
        if let c = codes[text] { return c }
        // Beyond 65,472 distinct texts (never, in practice), the last code is reused.
        guard texts.count < Int(UInt16.max - PacketNote.dynamicBase) else { return UInt16.max }
        let c = PacketNote.dynamicBase + UInt16(texts.count)
        texts.append(text)
        codes[text] = c
        return c
    }

    func text(_ code: UInt16) -> String? {
        lock.lock()
        defer { lock.unlock() }
        let i = Int(code - PacketNote.dynamicBase)
        return i < texts.count ? texts[i] : texts.last
    }
}

public final class StatefulClassifier {
    /// Which packets get their stateless policy verdict (``PacketResult/policy``).
    public enum PolicyVerdicts: Sendable {
        /// Every parsed packet: what per-packet output (`replay -o jsonl`, `--expect`) prints.
        case always
        /// Only packets whose verdict needs it (those that start a flow, non-first fragments
        /// without their first fragment, and every packet when the table has untracked rules);
        /// packets conntrack decides alone (established, related, invalid, fragments of a known
        /// datagram) get nil, which saves a classification per packet of a known flow.
        case whereNeeded
    }

    /// Who numbers flows (``PacketResult/flowID``).
    public enum FlowNumbering: Sendable {
        /// This classifier, from 0 in order of first appearance.
        case all
        /// This classifier, except flows an ICMP error can belong to (ICMP/ICMPv6 keys without an
        /// identifier), which get ``PacketResult/numberedByCaller``: sharded replay routes an ICMP
        /// error by the flow it quotes, so another shard may see the same key, and the merge in
        /// capture order numbers those flows.
        case exceptICMPWithoutIdentifier
    }

    public let classifier: Classifier
    public let policyVerdicts: PolicyVerdicts
    public let flowNumbering: FlowNumbering
    /// First fragments seen: (src, dst, protocol, IP ID) → the datagram's verdict. IPv6 keys leave
    /// the protocol out (0): a non-first fragment's headers stop at the fragment header, so its
    /// final protocol is unknown, and Linux reassembles IPv6 by (src, dst, identification).
    private var fragments: [FragmentKey: Bool] = [:]
    /// Flow numbers and conntrack entries, one slot per flow. It starts small (it doubles as
    /// flows arrive): a replay creates one per job, and initialising a large table costs more
    /// than a short capture's whole run.
    private let flows = FlowTable(initialCapacity: 1 << 10)
    /// Per flow number: the policy verdict of the flow's last classified packet, with its
    /// direction and the PacketKey fields the flow leaves open (port keys, ICMP type and code).
    /// Policy is a pure function of the PacketKey, so later packets of the flow with the same
    /// direction and fields reuse it: a denied flow stays new and would otherwise be classified
    /// again at every packet (DECISIONS 46, 63).
    private let verdicts = VerdictCache()
    /// True when some rule of the table is untracked (doNotTrack): then every packet needs policy.
    private let hasUntrackedRules: Bool
    /// Flows this classifier numbered.
    public var flowCount: Int { flows.count }

    struct FragmentKey: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var proto: UInt8
        var id: UInt32
    }

    public init(_ classifier: Classifier, policyVerdicts: PolicyVerdicts = .always, flowNumbering: FlowNumbering = .all) {
        self.classifier = classifier
        self.policyVerdicts = policyVerdicts
        self.flowNumbering = flowNumbering
        let t = classifier.table
        hasUntrackedRules = t.chains.indices.contains { c in
            t.rules(chain: c).contains { vd_stage(UInt32($0.stage)) == VD_STAGE_UNTRACKED }
        }
    }

    /// True for keys an ICMP error's own packet can have: ICMP/ICMPv6 without an identifier.
    @inline(__always)
    public static func isICMPKeyWithoutIdentifier(_ k: FlowKey) -> Bool {
        k.srcPort == 0 && k.dstPort == 0 && ((k.ipVersion == 4 && k.protocol == 1) || (k.ipVersion == 6 && k.protocol == 58))
    }


    public func process(_ h: PacketHeaders, outcome: ParseOutcome, timestampNanoseconds now: Int64) -> PacketResult {
        guard outcome == .ok, h.ipVersion != 0 else {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, noteCode: .outcome(outcome))
        }
        let nonFirstFragment = h.isFragment && !h.isFirstFragment
        // An L4 header cut by the snapshot length cannot be keyed: count it, do not guess.
        if !h.l4Present && !nonFirstFragment && (PacketHeaders.protocolHasPorts(h.protocol) || h.isICMP) {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, noteCode: .truncatedL4)
        }
        guard let key = FlowKey(h) else {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, noteCode: .outcome(outcome))
        }
        // One probe finds the flow's slot: its number and its conntrack entry.
        let canonical = key.canonical, hash = canonical.hash64
        let numbered = flowNumbering == .all || !Self.isICMPKeyWithoutIdentifier(key)
        let slot = flows.slot(canonical: canonical, hash: hash, numbered: numbered)
        let id = flows.flowID(slot) ?? PacketResult.numberedByCaller
        // Plain locals and one PacketResult built per return, with no nested functions: a local
        // function that captured `policy` made every access to it a run-time exclusivity check,
        // and mutating a PacketResult in place copied the whole struct at every branch.
        var policy: PathVerdict? = nil
        if policyVerdicts == .always || hasUntrackedRules {
            policy = classify(h, key: key, canonical: canonical, id: id)
        }

        // Untracked policy runs before conntrack, on every packet (§5.4).
        if hasUntrackedRules, let p = policy, decidedUntracked(p) {
            return PacketResult(allow: p.allow, state: .untracked, policy: policy, flowID: id, noteCode: .none)
        }
        if nonFirstFragment {
            if let v = fragments[fragmentKey(h)] {
                return PacketResult(allow: v, state: .fragment, policy: policy, flowID: id, noteCode: .none)
            }
            // Without its first fragment, the stateless verdict stands (port criteria do not match, §7.7).
            let p = policy ?? classify(h, key: key, canonical: canonical, id: id)
            return PacketResult(allow: p.allow, state: .new, policy: p, flowID: id, noteCode: .none)
        }
        if Self.isICMPError(h) {
            guard h.hasEmbedded else {
                return PacketResult(allow: false, state: .invalid, policy: policy, flowID: id, noteCode: .icmpErrorWithoutQuote)
            }
            let quoted = FlowKey(embedded: h.embedded)
            let q = quoted.canonical
            if let qs = flows.find(canonical: q, hash: q.hash64), flows.track(qs, key: quoted, now: now) {
                return PacketResult(allow: true, state: .related, policy: policy, flowID: id, noteCode: .none)
            }
            return PacketResult(allow: false, state: .invalid, policy: policy, flowID: id, noteCode: .icmpErrorQuotingNothing)
        }
        if flows.track(slot, key: key, now: now, tcpFlags: h.tcpFlags) {
            if h.isFragment { recordFirstFragment(h, allow: true) }
            return PacketResult(allow: true, state: .established, policy: policy, flowID: id, noteCode: .none)
        }
        let why = cannotOpenFlow(h)
        if why != .none {
            if h.isFragment { recordFirstFragment(h, allow: false) }
            return PacketResult(allow: false, state: .invalid, policy: policy, flowID: id, noteCode: why)
        }
        let p = policy ?? classify(h, key: key, canonical: canonical, id: id)
        if p.allow { flows.open(slot, key: key, now: now) }
        classifier.count(p)
        if h.isFragment { recordFirstFragment(h, allow: p.allow) }
        return PacketResult(allow: p.allow, state: .new, policy: p, flowID: id, noteCode: .none)
    }

    /// `h.isICMPError`, inlined here (as a call into Packets it cost a call per packet).
    @inline(__always)
    static func isICMPError(_ h: PacketHeaders) -> Bool {
        guard h.l4Present else { return false }
        let t = h.icmpType
        if h.ipVersion == 4 && h.protocol == 1 { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12 }
        if h.ipVersion == 6 && h.protocol == 58 { return t >= 1 && t <= 4 }
        return false
    }

    /// The packet's policy verdict. A packet of a numbered flow reuses the verdict of its flow's
    /// last classified packet in the same direction when the rest of its PacketKey (port keys,
    /// ICMP type and code) is the same too (VerdictCache): the flow and the direction fix the
    /// addresses and the protocol, and policy is a pure function of the PacketKey. So a denied
    /// flow's packets (which stay new) cost no classification, ICMP and port-less protocols
    /// included, while a non-first fragment (no port keys) or another ICMP type in a flow is
    /// classified for itself.
    @inline(__always)
    private func classify(_ h: PacketHeaders, key: FlowKey, canonical: FlowKey, id: Int) -> PathVerdict {
        let packetKey = PacketKey(h)
        guard id >= 0 else { return classifier.classify(packetKey) }
        let direction: UInt8 = key.sameKey(canonical) ? 1 : 2
        if let v = verdicts.verdict(flow: id, direction: direction, packetKey) { return v }
        let v = classifier.classify(packetKey)
        verdicts.store(v, flow: id, direction: direction, packetKey)
        return v
    }

    private func recordFirstFragment(_ h: PacketHeaders, allow: Bool) {
        guard h.isFragment && h.isFirstFragment else { return }
        fragments[fragmentKey(h)] = allow
    }

    private func fragmentKey(_ h: PacketHeaders) -> FragmentKey {
        FragmentKey(src: h.src, dst: h.dst, proto: h.ipVersion == 6 ? 0 : h.protocol, id: h.ipID)
    }

    private func decidedUntracked(_ v: PathVerdict) -> Bool {
        for i in 0..<v.count {
            let p = v[i]
            if p.kind == .chain && p.rule != VD_NONE && classifier.ruleStage(chain: Int(p.chain), rule: Int(p.rule)) == VD_STAGE_UNTRACKED {
                return true
            }
        }
        return false
    }

    /// Packets Linux conntrack gives no state when no flow exists (INVALID), with the reason;
    /// ``PacketNote/none`` for packets that may open one.
    private func cannotOpenFlow(_ h: PacketHeaders) -> PacketNote {
        if h.isICMP && h.l4Present {
            let t = h.icmpType
            let reply = h.ipVersion == 4 ? (t == 0 || t == 14 || t == 16 || t == 18) : t == 129
            if reply { return .icmpReplyWithoutRequest }
        }
        if h.protocol == 6 && h.l4Present {
            let f = h.tcpFlags
            if f & 0x04 != 0 { return .tcpRST }
            if f & 0x02 != 0 && f & 0x10 != 0 { return .tcpSYNACK }
            if f & 0x01 != 0 { return .tcpFIN }
            if f & 0x12 == 0 { return .tcpNoSYNOrACK }
        }
        return .none
    }
}

/// Policy verdicts by flow number, in one flat buffer grown by doubling (flow numbers are dense).
/// A class held in a `let`, so that the per-packet accesses need no dynamic exclusivity check
/// (a struct in a class's `var` took one per access).
final class VerdictCache {
    struct Entry {
        var verdict: PathVerdict
        /// 0 none, 1 the flow's canonical direction, 2 the reverse.
        var direction: UInt8
        /// The PacketKey fields a flow and direction leave open.
        var sourcePortKey: UInt32
        var destinationPortKey: UInt32
        var icmpTypeCode: UInt32

        static let none = Entry(verdict: PathVerdict(), direction: 0, sourcePortKey: 0, destinationPortKey: 0, icmpTypeCode: 0)
    }

    /// The buffer and its capacity behind a pointer held in a `let`, like FlowTable's state (a
    /// class's stored `var`s cost a run-time exclusivity check at every access).
    struct State {
        var entries: UnsafeMutablePointer<Entry>
        var capacity: Int
    }

    private let state: UnsafeMutablePointer<State>

    init() {
        let capacity = 1024
        let entries = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        entries.initialize(repeating: .none, count: capacity)
        state = .allocate(capacity: 1)
        state.initialize(to: State(entries: entries, capacity: capacity))
    }

    @inline(__always)
    func verdict(flow: Int, direction: UInt8, _ k: PacketKey) -> PathVerdict? {
        let s = state.pointee
        guard flow < s.capacity else { return nil }
        let e = s.entries + flow
        guard e.pointee.direction == direction, e.pointee.sourcePortKey == k.sourcePortKey,
              e.pointee.destinationPortKey == k.destinationPortKey, e.pointee.icmpTypeCode == k.icmpTypeCode else { return nil }
        return e.pointee.verdict
    }

    @inline(__always)
    func store(_ v: PathVerdict, flow: Int, direction: UInt8, _ k: PacketKey) {
        if flow >= state.pointee.capacity { grow(to: flow + 1) }
        state.pointee.entries[flow] = Entry(verdict: v, direction: direction, sourcePortKey: k.sourcePortKey,
                                            destinationPortKey: k.destinationPortKey, icmpTypeCode: k.icmpTypeCode)
    }

    private func grow(to n: Int) {
        let old = state.pointee
        var c = old.capacity
        while c < n { c *= 2 }
        let e = UnsafeMutablePointer<Entry>.allocate(capacity: c)
        e.moveInitialize(from: old.entries, count: old.capacity)
        (e + old.capacity).initialize(repeating: .none, count: c - old.capacity)
        old.entries.deallocate()
        state.pointee = State(entries: e, capacity: c)
    }

    deinit {
        state.pointee.entries.deinitialize(count: state.pointee.capacity)
        state.pointee.entries.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }
}
