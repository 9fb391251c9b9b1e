// Which worker of sharded replay judges a packet. The key is the packet's unordered address pair,
// not its whole 5-tuple: everything that shares state must meet on one worker, and that is
//   - both directions of a flow (the pair is direction-independent);
//   - a datagram's fragments (non-first fragments carry no ports, so a 5-tuple would differ);
//   - an ICMP error and the flow it quotes: an error is routed by the quoted packet's addresses,
//     since its own addresses (router → sender) name another pair.
// Flows between the same two hosts share a worker; with many hosts the load still spreads.

import Addresses
import Packets

enum FlowShard {
    static func worker(_ h: PacketHeaders, outcome: ParseOutcome, packetNumber: Int, jobs: Int) -> UInt16 {
        // Unparsed packets touch no state: spread them by number.
        guard outcome == .ok, h.ipVersion != 0 else { return UInt16(packetNumber % jobs) }
        let nonFirstFragment = h.isFragment && !h.isFirstFragment
        let a: IPAddress, b: IPAddress
        if h.isICMPError && h.hasEmbedded && !nonFirstFragment {
            a = h.embedded.src
            b = h.embedded.dst
        } else {
            a = h.src
            b = h.dst
        }
        let aFirst = a.high < b.high || (a.high == b.high && a.low <= b.low)
        let lo = aFirst ? a : b, hi = aFirst ? b : a
        @inline(__always) func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
            let x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            return x ^ (x >> 32)
        }
        var x = mix(mix(mix(mix(0x243F_6A88_85A3_08D3, lo.high), lo.low), hi.high), hi.low)
        x ^= x >> 29
        x &*= 0xBF58_476D_1CE4_E5B9
        x ^= x >> 32
        // Multiply-shift onto 0..<jobs from the hash's high half.
        return UInt16(truncatingIfNeeded: (x >> 32) &* UInt64(jobs) >> 32)
    }
}
