// What replay counts for its summary: packets by data-plane verdict and conntrack state, unparsed
// packets by reason, and the flows with denied packets. Plain counters and a bit set over flow
// numbers, so counting a packet allocates nothing (the bit set grows by doubling as flows do).

import Classifier

public struct ReplayTally: Sendable, Equatable {
    public private(set) var packets = 0
    public private(set) var allowed = 0
    public private(set) var denied = 0
    public private(set) var unparsed = 0
    /// Packets per conntrack state, in `ConntrackState.allCases` order.
    private var stateCounts = [Int](repeating: 0, count: ConntrackState.allCases.count)
    public private(set) var unparsedReasons: [String: Int] = [:]
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

    public mutating func add(_ r: PacketResult) {
        packets += 1
        stateCounts[Self.index(r.state)] += 1
        switch r.allow {
        case .some(true): allowed += 1
        case .some(false):
            denied += 1
            markDenied(r.flowID)
        case .none:
            unparsed += 1
            unparsedReasons[r.note ?? "unknown", default: 0] += 1
        }
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
