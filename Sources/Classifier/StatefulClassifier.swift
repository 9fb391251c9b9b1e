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
    /// What policy alone says for this packet as a new connection (nil when unparsed).
    public var policy: PathVerdict?
    /// The flow this packet belongs to (-1 when unparsed).
    public var flowID: Int
    /// Why the packet is unparsed, or the INVALID reason.
    public var note: String?

    public init(allow: Bool?, state: ConntrackState, policy: PathVerdict?, flowID: Int, note: String?) {
        self.allow = allow
        self.state = state
        self.policy = policy
        self.flowID = flowID
        self.note = note
    }
}

public final class StatefulClassifier {
    public let classifier: Classifier
    public let tracker = ConnectionTracker()
    /// First fragments seen: (src, dst, protocol, IP ID) → the datagram's verdict. IPv6 keys leave
    /// the protocol out (0): a non-first fragment's headers stop at the fragment header, so its
    /// final protocol is unknown, and Linux reassembles IPv6 by (src, dst, identification).
    private var fragments: [FragmentKey: Bool] = [:]
    private var flowIDs: [FlowKey: Int] = [:]
    public private(set) var flowCount = 0

    struct FragmentKey: Hashable {
        var src: IPAddress
        var dst: IPAddress
        var proto: UInt8
        var id: UInt32
    }

    public init(_ classifier: Classifier) { self.classifier = classifier }

    /// The flow number of a packet's 5-tuple (either direction), numbering new flows from 0.
    private func flowID(_ key: FlowKey) -> Int {
        let c = key.canonical
        if let id = flowIDs[c] { return id }
        flowIDs[c] = flowCount
        flowCount += 1
        return flowCount - 1
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
        let policy = classifier.classify(PacketKey(h))
        let id = flowID(key)
        var result = PacketResult(allow: policy.allow, state: .new, policy: policy, flowID: id, note: nil)

        // Untracked policy runs before conntrack, on every packet (§5.4).
        if decidedUntracked(policy) {
            result.state = .untracked
            return result
        }
        if nonFirstFragment {
            let fk = fragmentKey(h)
            if let v = fragments[fk] {
                result.allow = v
                result.state = .fragment
            }
            // Without its first fragment, the stateless verdict stands (port criteria do not match, §7.7).
            return result
        }
        if h.isICMPError {
            guard h.hasEmbedded else {
                result.allow = false
                result.state = .invalid
                result.note = "ICMP error without a quoted header"
                return result
            }
            let quoted = FlowKey(embedded: h.embedded)
            if tracker.lookup(quoted, now: now) != nil {
                result.allow = true
                result.state = .related
            } else {
                result.allow = false
                result.state = .invalid
                result.note = "ICMP error quoting no tracked flow"
            }
            return result
        }
        if tracker.lookup(key, now: now, tcpFlags: h.tcpFlags) != nil {
            result.allow = true
            result.state = .established
            recordFirstFragment(h, allow: true)
            return result
        }
        if let why = cannotOpenFlow(h) {
            result.allow = false
            result.state = .invalid
            result.note = why
            recordFirstFragment(h, allow: false)
            return result
        }
        if policy.allow { tracker.insert(key, now: now, flowID: id) }
        classifier.count(policy)
        recordFirstFragment(h, allow: policy.allow)
        return result
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
            let replies: [UInt8] = h.ipVersion == 4 ? [0, 14, 16, 18] : [129]
            if replies.contains(t) { return "ICMP reply without a request" }
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
