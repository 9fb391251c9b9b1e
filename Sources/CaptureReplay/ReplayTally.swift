// What replay counts for its summary: packets by data-plane verdict and conntrack state, unparsed
// packets by reason, and the flows with denied packets. Plain counters and a bit set over flow
// numbers, so counting a packet allocates nothing (the bit set grows by doubling as flows do).

import Classifier

public struct ReplayTally: Sendable, Equatable {
    public private(set) var packets = 0
    public private(set) var allowed = 0
    public private(set) var denied = 0
    public private(set) var unparsed = 0
    /// Packets per conntrack state, in `ConntrackState.allCases` order: plain fields, so that
    /// counting a packet is one add (an array checked its uniqueness and bounds every time).
    private var stateCounts = StateCounts()
    /// Unparsed packets per note (PacketNote's code), in order of first appearance: a short list,
    /// searched linearly (a `[String: Int]` hashed the text of every unparsed packet).
    private var reasonCounts: [ReasonCount] = []
    /// Unparsed packets per reason (the packet's note, "unknown" without one).
    public var unparsedReasons: [String: Int] {
        var d: [String: Int] = [:]
        for r in reasonCounts { d[r.note.text ?? "unknown", default: 0] += r.count }
        return d
    }

    struct ReasonCount: Sendable, Equatable {
        var note: PacketNote
        var count: Int
    }

    struct StateCounts: Sendable, Equatable {
        var c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0

        subscript(i: Int) -> Int {
            switch i {
            case 0: return c0
            case 1: return c1
            case 2: return c2
            case 3: return c3
            case 4: return c4
            case 5: return c5
            default: return c6
            }
        }

        @inline(__always)
        mutating func add(_ s: ConntrackState) {
            switch s {
            case .new: c0 &+= 1
            case .established: c1 &+= 1
            case .related: c2 &+= 1
            case .invalid: c3 &+= 1
            case .fragment: c4 &+= 1
            case .untracked: c5 &+= 1
            case .unparsed: c6 &+= 1
            }
        }
    }
    /// Bit i set when flow i had a denied packet.
    private var deniedFlowBits: [UInt64] = []
    public private(set) var flowsWithDenied = 0

    public init() {}

    @inline(__always)
    static func index(_ s: ConntrackState) -> Int {
        switch s {
        case .new: return 0
        case .established: return 1
        case .related: return 2
        case .invalid: return 3
        case .fragment: return 4
        case .untracked: return 5
        case .unparsed: return 6
        }
    }

    public func packets(in state: ConntrackState) -> Int { stateCounts[Self.index(state)] }

    @inline(__always)
    public mutating func add(_ r: PacketResult) {
        packets &+= 1
        stateCounts.add(r.state)
        switch r.allow {
        case .some(true): allowed &+= 1
        case .some(false):
            denied &+= 1
            markDenied(r.flowID)
        case .none:
            unparsed &+= 1
            countReason(r.noteCode)
        }
    }

    private mutating func countReason(_ note: PacketNote) {
        for i in reasonCounts.indices where reasonCounts[i].note == note {
            reasonCounts[i].count += 1
            return
        }
        reasonCounts.append(ReasonCount(note: note, count: 1))
    }

    public static func == (a: ReplayTally, b: ReplayTally) -> Bool {
        a.packets == b.packets && a.allowed == b.allowed && a.denied == b.denied && a.unparsed == b.unparsed
            && a.stateCounts == b.stateCounts && a.unparsedReasons == b.unparsedReasons
            && a.deniedFlowBits == b.deniedFlowBits && a.flowsWithDenied == b.flowsWithDenied
    }

    private mutating func markDenied(_ flow: Int) {
        guard flow >= 0 else { return }
        let word = flow >> 6, bit = UInt64(1) << UInt64(flow & 63)
        if word >= deniedFlowBits.count {
            deniedFlowBits.append(contentsOf: repeatElement(0, count: max(word + 1, deniedFlowBits.count * 2) - deniedFlowBits.count))
        }
        if deniedFlowBits[word] & bit == 0 {
            deniedFlowBits[word] |= bit
            flowsWithDenied += 1
        }
    }
}
