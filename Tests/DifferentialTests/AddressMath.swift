// Address arithmetic the generators need: CIDR edges, members, neighbours.

import Addresses

enum AddressMath {
    /// The host-bit mask of a prefix, as (high, low) 64-bit halves of a 128-bit value (IPv4 in `low`).
    static func hostMask(_ c: CIDR) -> (UInt64, UInt64) {
        let width = c.family.bitWidth
        let hostBits = width - c.prefixLength
        if c.family == .v4 {
            return (0, hostBits == 0 ? 0 : (hostBits >= 32 ? 0xFFFF_FFFF : (UInt64(1) << UInt64(hostBits)) - 1))
        }
        if hostBits == 0 { return (0, 0) }
        if hostBits >= 128 { return (~0, ~0) }
        if hostBits >= 64 { return (hostBits == 64 ? 0 : (UInt64(1) << UInt64(hostBits - 64)) - 1, ~0) }
        return (0, (UInt64(1) << UInt64(hostBits)) - 1)
    }

    static func make(_ family: IPFamily, _ high: UInt64, _ low: UInt64) -> IPAddress {
        family == .v4 ? IPAddress(v4: UInt32(truncatingIfNeeded: low)) : IPAddress(v6High: high, low: low)
    }

    static func first(_ c: CIDR) -> IPAddress { c.address }

    static func last(_ c: CIDR) -> IPAddress {
        let (mh, ml) = hostMask(c)
        return make(c.family, c.address.high | mh, c.address.low | ml)
    }

    /// `a + delta` (wrapping within the family's width).
    static func offset(_ a: IPAddress, _ delta: Int64) -> IPAddress {
        if a.family == .v4 { return IPAddress(v4: UInt32(truncatingIfNeeded: Int64(a.v4) &+ delta)) }
        if delta >= 0 {
            let (low, carry) = a.low.addingReportingOverflow(UInt64(delta))
            return IPAddress(v6High: a.high &+ (carry ? 1 : 0), low: low)
        }
        let (low, borrow) = a.low.subtractingReportingOverflow(UInt64(-delta))
        return IPAddress(v6High: a.high &- (borrow ? 1 : 0), low: low)
    }

    static func randomMember(_ c: CIDR, _ rng: inout SeededRandom) -> IPAddress {
        let (mh, ml) = hostMask(c)
        return make(c.family, c.address.high | (rng.next() & mh), c.address.low | (rng.next() & ml))
    }

    /// First, last, just outside on both sides, and a random member.
    static func edgeOrMember(_ c: CIDR, _ rng: inout SeededRandom) -> IPAddress {
        switch rng.below(6) {
        case 0: return first(c)
        case 1: return last(c)
        case 2: return offset(first(c), -1)
        case 3: return offset(last(c), 1)
        default: return randomMember(c, &rng)
        }
    }

    /// A random strict sub-CIDR of `c` (for Kubernetes ipBlock.except), or nil for a host prefix.
    static func subCIDR(_ c: CIDR, _ rng: inout SeededRandom) -> CIDR? {
        let width = c.family.bitWidth
        guard c.prefixLength < width else { return nil }
        let len = min(width, c.prefixLength + 1 + rng.below(min(8, width - c.prefixLength)))
        return CIDR(address: randomMember(c, &rng), prefixLength: len)
    }
}
