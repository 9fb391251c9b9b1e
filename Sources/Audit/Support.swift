// Small helpers shared by the checks: finding policies and rules again by name, address arithmetic.

import Addresses
import PolicyModel

/// A policy rule by identity: the policy (kind and qualified name), direction and index.
struct RuleKey: Hashable {
    var kind: String
    var policy: String
    var direction: Direction
    var index: Int
}

extension PolicySet {
    func policy(kind: String?, qualifiedName: String) -> Policy? {
        allPolicies.first { $0.qualifiedName == qualifiedName && (kind == nil || $0.kind.rawValue == kind) }
    }
}

extension Direction {
    /// The entity of a rule on the far side of the endpoint: the source for ingress, the destination for egress.
    func remote(_ r: Rule) -> EntityRule { self == .ingress ? r.source : r.destination }
}

enum AddressMath {
    /// The last address of a CIDR.
    static func last(_ c: CIDR) -> IPAddress {
        let host = c.family.bitWidth - c.prefixLength
        switch c.family {
        case .v4:
            let mask: UInt32 = host >= 32 ? .max : (UInt32(1) << UInt32(host)) - 1
            return IPAddress(v4: c.address.v4 | mask)
        case .v6:
            if host >= 64 {
                let hi: UInt64 = host >= 128 ? .max : (UInt64(1) << UInt64(host - 64)) - 1
                return IPAddress(v6High: c.address.high | hi, low: .max)
            }
            let lo: UInt64 = host == 0 ? 0 : (UInt64(1) << UInt64(host)) - 1
            return IPAddress(v6High: c.address.high, low: c.address.low | lo)
        }
    }

    /// The address before (-1) or after (+1), nil past the ends of the family's space.
    static func step(_ a: IPAddress, _ delta: Int) -> IPAddress? {
        switch a.family {
        case .v4:
            let v = a.v4
            if delta < 0 { return v == 0 ? nil : IPAddress(v4: v - 1) }
            return v == .max ? nil : IPAddress(v4: v + 1)
        case .v6:
            if delta < 0 {
                if a.high == 0 && a.low == 0 { return nil }
                return a.low == 0 ? IPAddress(v6High: a.high - 1, low: .max) : IPAddress(v6High: a.high, low: a.low - 1)
            }
            if a.high == .max && a.low == .max { return nil }
            return a.low == .max ? IPAddress(v6High: a.high + 1, low: 0) : IPAddress(v6High: a.high, low: a.low + 1)
        }
    }

    /// A host inside a CIDR (its second address when it has more than two), its first and last
    /// address, and the addresses just outside it.
    static func probes(_ c: CIDR) -> [IPAddress] {
        let first = c.address, end = last(c)
        let host = c.family.bitWidth - c.prefixLength > 1 ? step(first, 1) : nil
        return [host, first, end, step(first, -1), step(end, 1)].compactMap { $0 }
    }
}

/// "a, b, c" with at most `limit` items and "… (N in all)".
func list(_ items: [String], limit: Int = 6) -> String {
    items.count <= limit ? items.joined(separator: ", ") : items.prefix(limit).joined(separator: ", ") + ", … (\(items.count) in all)"
}
