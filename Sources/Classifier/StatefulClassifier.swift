// One packet of a capture, judged as a node would judge it: connection tracking first (§5), then
// policy for packets that start a flow. Also keeps the stateless "policy verdict" of every packet,
// which differs from the data-plane verdict for replies and related ICMP errors (§5.3).

import Addresses
import CVerdictABI
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
    /// Why the packet is unparsed, or the INVALID reason.
    public var note: String?

    /// The flow ID of a packet whose flow the caller numbers (StatefulClassifier.FlowNumbering).
    public static let numberedByCaller = -2

    public init(allow: Bool?, state: ConntrackState, policy: PathVerdict?, flowID: Int, note: String?) {
        self.allow = allow
        self.state = state
        self.policy = policy
        self.flowID = flowID
        self.note = note
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
    /// Tables start small (they double as flows arrive): a replay creates one per job, and
    /// initialising a large table costs more than a short capture's whole run.
    public let tracker = ConnectionTracker(initialCapacity: 1 << 10)
    public let policyVerdicts: PolicyVerdicts
    public let flowNumbering: FlowNumbering
    /// First fragments seen: (src, dst, protocol, IP ID) → the datagram's verdict. IPv6 keys leave
    /// the protocol out (0): a non-first fragment's headers stop at the fragment header, so its
    /// final protocol is unknown, and Linux reassembles IPv6 by (src, dst, identification).
    private var fragments: [FragmentKey: Bool] = [:]
    private let flows = FlowNumbers(initialCapacity: 1 << 10)
    /// Per flow number: the policy verdict of the flow's last classified packet with ports, and
    /// its direction. Policy is a pure function of such a packet's directed 5-tuple (its PacketKey
    /// has nothing else), so later packets of the flow in that direction reuse it: a denied flow
    /// stays new and would otherwise be classified again at every packet.
    private var verdicts = VerdictCache()
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

    deinit { verdicts.release() }

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

    @inline(__always)
    private func flowID(_ key: FlowKey, canonical: FlowKey, hash: UInt64) -> Int {
        if flowNumbering == .exceptICMPWithoutIdentifier && Self.isICMPKeyWithoutIdentifier(key) { return PacketResult.numberedByCaller }
        return flows.number(canonical: canonical, hash: hash)
    }

    public func process(_ h: PacketHeaders, outcome: ParseOutcome, timestampNanoseconds now: Int64) -> PacketResult {
        guard outcome == .ok, h.ipVersion != 0 else {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, note: outcome.description)
        }
        let nonFirstFragment = h.isFragment && !h.isFirstFragment
        // An L4 header cut by the snapshot length cannot be keyed: count it, do not guess.
        if !h.l4Present && !nonFirstFragment && (PacketHeaders.protocolHasPorts(h.protocol) || h.isICMP) {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, note: "truncated-l4")
        }
        guard let key = FlowKey(h) else {
            return PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, note: outcome.description)
        }
        // The canonical key and its hash serve the flow numbers and the tracker alike.
        let canonical = key.canonical, hash = canonical.hash64
        let id = flowID(key, canonical: canonical, hash: hash)
        // Plain locals, one PacketResult built at the end: mutating a PacketResult in place made
        // the compiler copy the whole struct (String and all) at every branch.
        @inline(__always) func classify() -> PathVerdict {
            // Only packets with ports: a non-first fragment has the same FlowKey as a packet with
            // ports 0 but another PacketKey, and ICMP keys leave the type out.
            guard h.hasPorts, id >= 0 else { return classifier.classify(PacketKey(h)) }
            let direction: UInt8 = key.sameKey(canonical) ? 1 : 2
            if let v = verdicts.verdict(flow: id, direction: direction) { return v }
            let v = classifier.classify(PacketKey(h))
            verdicts.store(v, flow: id, direction: direction)
            return v
        }
        var policy: PathVerdict? = nil
        if policyVerdicts == .always || hasUntrackedRules {
            policy = classify()
        }
        @inline(__always) func result(_ allow: Bool, _ state: ConntrackState, _ note: String? = nil) -> PacketResult {
            PacketResult(allow: allow, state: state, policy: policy, flowID: id, note: note)
        }

        // Untracked policy runs before conntrack, on every packet (§5.4).
        if hasUntrackedRules, let p = policy, decidedUntracked(p) {
            return result(p.allow, .untracked)
        }
        if nonFirstFragment {
            if let v = fragments[fragmentKey(h)] { return result(v, .fragment) }
            // Without its first fragment, the stateless verdict stands (port criteria do not match, §7.7).
            let p = policy ?? classify()
            policy = p
            return result(p.allow, .new)
        }
        if h.isICMPError {
            guard h.hasEmbedded else { return result(false, .invalid, "ICMP error without a quoted header") }
            let quoted = FlowKey(embedded: h.embedded)
            if tracker.lookup(quoted, now: now) != nil { return result(true, .related) }
            return result(false, .invalid, "ICMP error quoting no tracked flow")
        }
        if tracker.lookup(key, canonical: canonical, hash: hash, now: now, tcpFlags: h.tcpFlags) != nil {
            recordFirstFragment(h, allow: true)
            return result(true, .established)
        }
        if let why = cannotOpenFlow(h) {
            recordFirstFragment(h, allow: false)
            return result(false, .invalid, why)
        }
        let p = policy ?? classify()
        policy = p
        if p.allow { tracker.insert(key, canonical: canonical, hash: hash, now: now, flowID: id) }
        classifier.count(p)
        recordFirstFragment(h, allow: p.allow)
        return result(p.allow, .new)
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

    /// Packets Linux conntrack gives no state when no flow exists (INVALID).
    private func cannotOpenFlow(_ h: PacketHeaders) -> String? {
        if h.isICMP && h.l4Present {
            let t = h.icmpType
            let reply = h.ipVersion == 4 ? (t == 0 || t == 14 || t == 16 || t == 18) : t == 129
            if reply { return "ICMP reply without a request" }
        }
        if h.protocol == 6 && h.l4Present {
            let f = h.tcpFlags
            if f & 0x04 != 0 { return "TCP RST without a connection" }
            if f & 0x02 != 0 && f & 0x10 != 0 { return "TCP SYN-ACK without a SYN" }
            if f & 0x01 != 0 { return "TCP FIN without a connection" }
            if f & 0x12 == 0 { return "TCP packet without SYN or ACK" }
        }
        return nil
    }
}

/// Policy verdicts by flow number, in one flat buffer grown by doubling (flow numbers are dense).
struct VerdictCache {
    struct Entry {
        var verdict: PathVerdict
        /// 0 none, 1 the flow's canonical direction, 2 the reverse.
        var direction: UInt8
    }

    private var entries: UnsafeMutablePointer<Entry>
    private var capacity: Int

    init() {
        capacity = 1024
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: Entry(verdict: PathVerdict(), direction: 0), count: capacity)
    }

    @inline(__always)
    func verdict(flow: Int, direction: UInt8) -> PathVerdict? {
        flow < capacity && entries[flow].direction == direction ? entries[flow].verdict : nil
    }

    @inline(__always)
    mutating func store(_ v: PathVerdict, flow: Int, direction: UInt8) {
        if flow >= capacity { grow(to: flow + 1) }
        entries[flow] = Entry(verdict: v, direction: direction)
    }

    private mutating func grow(to n: Int) {
        var c = capacity
        while c < n { c *= 2 }
        let e = UnsafeMutablePointer<Entry>.allocate(capacity: c)
        e.moveInitialize(from: entries, count: capacity)
        (e + capacity).initialize(repeating: Entry(verdict: PathVerdict(), direction: 0), count: c - capacity)
        entries.deallocate()
        entries = e
        capacity = c
    }

    /// Frees the buffer; the owner calls it from its deinit (a struct has none).
    func release() {
        entries.deinitialize(count: capacity)
        entries.deallocate()
    }
}
