// The 5-tuple that conntrack and the flow table key on, as fixed-size words so that hashing and
// comparing it never touches the heap.
import Addresses

/// A flow's 5-tuple (plus address family), in the direction of one packet.
///
/// Addresses are stored as two 64-bit words each, laid out like ``IPAddress`` (an IPv4 address in
/// the low 32 bits of the low word). Ports follow Linux conntrack:
/// - TCP, UDP, UDP-Lite, SCTP: the packet's ports.
/// - ICMP/ICMPv6 queries (echo, and the IPv4 timestamp/information/address-mask queries): the
///   identifier in *both* ports and no type, so a request and its reply give keys that are each
///   other's ``reversed``.
/// - Anything else, and non-first fragments: ports 0.
///
/// For an ICMP error, ``init(embeddedIn:)`` gives the key of the quoted packet, in the quoted
/// packet's own direction (original sender → original destination): look that up to decide
/// RELATED (SEMANTICS §5.1–5.3).
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    public var srcHigh: UInt64
    public var srcLow: UInt64
    public var dstHigh: UInt64
    public var dstLow: UInt64
    public var srcPort: UInt16
    public var dstPort: UInt16
    public var `protocol`: UInt8
    /// 4 or 6.
    public var ipVersion: UInt8

    /// A key from its parts; both addresses must be of the same family.
    @inlinable
    public init(src: IPAddress, dst: IPAddress, protocol: UInt8, srcPort: UInt16, dstPort: UInt16) {
        precondition(src.family == dst.family, "FlowKey addresses must share a family")
        srcHigh = src.high
        srcLow = src.low
        dstHigh = dst.high
        dstLow = dst.low
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.protocol = `protocol`
        ipVersion = UInt8(src.family.rawValue)
    }

    /// The key of a parsed packet, or nil when the parse did not reach the IP header.
    /// (Always inlined, like ``canonical`` and ``hash64``: replay calls them once per packet, and
    /// as calls they passed the 40-byte key through memory each time.)
    @inlinable @inline(__always)
    public init?(_ h: PacketHeaders) {
        guard h.ipVersion != 0 else { return nil }
        srcHigh = h.src.high
        srcLow = h.src.low
        dstHigh = h.dst.high
        dstLow = h.dst.low
        self.protocol = h.protocol
        ipVersion = h.ipVersion
        if h.hasPorts {
            srcPort = h.srcPort
            dstPort = h.dstPort
        } else if h.isICMPQuery {
            srcPort = h.icmpEchoID
            dstPort = h.icmpEchoID
        } else {
            srcPort = 0
            dstPort = 0
        }
    }

    /// The key of the packet quoted inside an ICMP error, or nil when `h` carries none.
    @inlinable
    public init?(embeddedIn h: PacketHeaders) {
        guard h.hasEmbedded else { return nil }
        self.init(embedded: h.embedded)
    }

    /// The key of a quoted packet.
    @inlinable
    public init(embedded e: EmbeddedHeaders) {
        srcHigh = e.src.high
        srcLow = e.src.low
        dstHigh = e.dst.high
        dstLow = e.dst.low
        self.protocol = e.protocol
        ipVersion = e.ipVersion
        if e.l4Present && PacketHeaders.protocolHasPorts(e.protocol) {
            srcPort = e.srcPort
            dstPort = e.dstPort
        } else if e.isICMPQuery {
            srcPort = e.icmpEchoID
            dstPort = e.icmpEchoID
        } else {
            srcPort = 0
            dstPort = 0
        }
    }

    @inlinable public var src: IPAddress {
        ipVersion == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: srcLow)) : IPAddress(v6High: srcHigh, low: srcLow)
    }

    @inlinable public var dst: IPAddress {
        ipVersion == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: dstLow)) : IPAddress(v6High: dstHigh, low: dstLow)
    }

    /// The key of the reply direction: addresses and ports swapped.
    @inlinable @inline(__always) public var reversed: FlowKey {
        var k = self
        k.srcHigh = dstHigh
        k.srcLow = dstLow
        k.dstHigh = srcHigh
        k.dstLow = srcLow
        k.srcPort = dstPort
        k.dstPort = srcPort
        return k
    }

    /// True when the source endpoint (address, then port) sorts at or before the destination.
    @inlinable @inline(__always) public var isCanonical: Bool {
        if srcHigh != dstHigh { return srcHigh < dstHigh }
        if srcLow != dstLow { return srcLow < dstLow }
        return srcPort <= dstPort
    }

    /// The same key for both directions of a flow: `self` or ``reversed``, whichever has the
    /// lower endpoint as source.
    @inlinable @inline(__always) public var canonical: FlowKey { isCanonical ? self : reversed }

    /// Field-by-field equality for the fast path's tables (the derived `==` goes through memcmp).
    @inlinable @inline(__always) public func sameKey(_ o: FlowKey) -> Bool {
        srcLow == o.srcLow && dstLow == o.dstLow && srcHigh == o.srcHigh && dstHigh == o.dstHigh
            && srcPort == o.srcPort && dstPort == o.dstPort && `protocol` == o.protocol && ipVersion == o.ipVersion
    }

    /// A fast 64-bit hash (multiply–xorshift over the words) for open-addressing tables on the
    /// fast path; `Hashable` (SipHash, randomly seeded) stays available for `Dictionary`.
    @inlinable @inline(__always) public var hash64: UInt64 {
        @inline(__always) func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
            var x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 32
            return x
        }
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        h = mix(h, srcHigh)
        h = mix(h, srcLow)
        h = mix(h, dstHigh)
        h = mix(h, dstLow)
        h = mix(h, UInt64(srcPort) << 32 | UInt64(dstPort) << 16 | UInt64(`protocol`) << 8 | UInt64(ipVersion))
        h ^= h >> 29
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h
    }

    /// `tcp 10.0.0.1:1234 > 10.0.0.2:80`, `udp [fd00::1]:53 > [fd00::2]:5353`, `icmp 10.0.0.1 > 10.0.0.2 id 7`.
    public var description: String {
        let name = FlowKey.protocolName(`protocol`, ipVersion: ipVersion)
        switch `protocol` {
        case 6, 17, 132, 136:
            return "\(name) \(FlowKey.endpoint(src, srcPort)) > \(FlowKey.endpoint(dst, dstPort))"
        case 1, 58:
            let id = srcPort != 0 || dstPort != 0 ? " id \(srcPort)" : ""
            return "\(name) \(src) > \(dst)\(id)"
        default:
            return "\(name) \(src) > \(dst)"
        }
    }

    static func endpoint(_ a: IPAddress, _ port: UInt16) -> String {
        a.family == .v6 ? "[\(a)]:\(port)" : "\(a):\(port)"
    }

    static func protocolName(_ p: UInt8, ipVersion: UInt8) -> String {
        switch p {
        case 1: return "icmp"
        case 6: return "tcp"
        case 17: return "udp"
        case 50: return "esp"
        case 51: return "ah"
        case 58: return "icmp6"
        case 132: return "sctp"
        case 136: return "udplite"
        default: return "proto-\(p)"
        }
    }
}
