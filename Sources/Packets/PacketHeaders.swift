// The parsed header fields of one packet: a plain value (no references, no arrays), refilled in
// place by the parser, so the fast path never allocates.
import Addresses

/// The L3/L4 fields of the packet quoted inside an ICMP or ICMPv6 error (RFC 792 / RFC 4443):
/// what conntrack looks up to decide whether the error is RELATED to a known flow.
public struct EmbeddedHeaders: Hashable, Sendable {
    /// 4 or 6.
    public var ipVersion: UInt8 = 0
    /// Source of the quoted packet: the host that sent the packet which caused the error.
    public var src: IPAddress = IPAddress(v4: 0)
    /// Destination of the quoted packet.
    public var dst: IPAddress = IPAddress(v4: 0)
    /// Final protocol of the quoted packet, after IPv6 extension headers.
    public var `protocol`: UInt8 = 0
    /// Ports of the quoted TCP/UDP/UDP-Lite/SCTP header; 0 when absent.
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    /// Type and code when the quoted packet is ICMP/ICMPv6 (for example an echo request that
    /// exceeded its TTL).
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// Identifier when the quoted packet is an ICMP query (echo, timestamp, …).
    public var icmpEchoID: UInt16 = 0
    /// True when the quoted packet is a non-first fragment (so it carries no ports).
    public var isNonFirstFragment: Bool = false
    /// True when the quoted L4 fields (ports, or ICMP type/code/id) were present.
    public var l4Present: Bool = false

    @inlinable public init() {}

    /// True when the quoted packet is an ICMP/ICMPv6 query whose identifier conntrack uses.
    @inlinable public var isICMPQuery: Bool {
        l4Present && PacketHeaders.isQuery(version: ipVersion, protocol: `protocol`, type: icmpType)
    }
}

/// Header fields of one packet, filled by ``PacketParser/parse(_:linkType:into:)``.
///
/// Fields the packet does not have are 0/false. Multi-byte values are in host order.
///
/// ### Fragments (SEMANTICS §7.7)
/// A non-first fragment carries no L4 header: its ``protocol`` is known, its ports are 0 and
/// ``l4Present`` is false, so rules with port criteria must not match it.
public struct PacketHeaders: Hashable, Sendable {
    // MARK: Link layer

    /// The EtherType (or SLL protocol) that introduced the IP header, after VLAN tags; 0x0800 or
    /// 0x86dd for raw-IP and loopback link types too.
    public var etherType: UInt16 = 0
    /// Number of 802.1Q / 802.1ad tags seen (0 to 255, saturating).
    public var vlanCount: UInt8 = 0
    /// VLAN ID (12 bits) of the first (outer) tag; valid when `vlanCount >= 1`.
    public var outerVLANID: UInt16 = 0
    /// VLAN ID of the second (inner, QinQ customer) tag; valid when `vlanCount >= 2`.
    public var innerVLANID: UInt16 = 0

    // MARK: Network layer

    /// 4 or 6 after a successful parse, 0 otherwise.
    public var ipVersion: UInt8 = 0
    public var src: IPAddress = IPAddress(v4: 0)
    public var dst: IPAddress = IPAddress(v4: 0)
    /// Final upper-layer protocol: the IPv4 protocol field, or for IPv6 the next-header value
    /// after hop-by-hop, routing, fragment, destination-options and AH headers.
    public var `protocol`: UInt8 = 0
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// Offset of the IP header in the frame.
    public var l3Offset: UInt32 = 0
    /// Offset of the upper-layer header in the frame (after IPv4 options / IPv6 extension headers).
    public var l4Offset: UInt32 = 0
    /// IP payload length the header announces, from `l4Offset`: what the packet really carried,
    /// which may exceed what was captured.
    public var l4Length: UInt32 = 0

    // MARK: Fragmentation

    /// True when the packet is part of a fragmented datagram (offset ≠ 0 or more-fragments set).
    /// An IPv6 "atomic fragment" (a fragment header with offset 0 and M clear) is not a fragment.
    public var isFragment: Bool = false
    /// True for the fragment at offset 0 of a fragmented datagram (it carries the L4 header).
    public var isFirstFragment: Bool = false
    /// The more-fragments flag.
    public var moreFragments: Bool = false
    /// IPv4 don't-fragment flag.
    public var dontFragment: Bool = false
    /// Fragment offset in 8-byte units, as in the header.
    public var fragmentOffset: UInt16 = 0
    /// IPv4 identification (16 bits), or the IPv6 fragment header's identification (32 bits).
    public var ipID: UInt32 = 0

    // MARK: Transport layer

    /// True when the upper-layer header was captured in full and is not hidden by fragmentation:
    /// TCP 20 bytes, UDP/UDP-Lite 8, SCTP 12, ICMP/ICMPv6 8. For protocols the parser does not
    /// decode (ESP, GRE, …) it is true unless the packet is a non-first fragment.
    public var l4Present: Bool = false
    /// TCP/UDP/UDP-Lite/SCTP ports; 0 when absent.
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).
    public var tcpFlags: UInt8 = 0
    /// ICMP (IPv4 protocol 1) or ICMPv6 (IPv6 next header 58) type and code.
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// Identifier and sequence number of an ICMP query (echo, timestamp, information, address
    /// mask) or ICMPv6 echo; 0 otherwise.
    public var icmpEchoID: UInt16 = 0
    public var icmpEchoSequence: UInt16 = 0

    /// True when this is an ICMP/ICMPv6 error whose quoted IP header was captured: see ``embedded``.
    public var hasEmbedded: Bool = false
    /// The packet quoted by an ICMP error (v4 types 3, 4, 5, 11, 12; v6 types 1–4).
    public var embedded: EmbeddedHeaders = EmbeddedHeaders()

    @inlinable public init() {}

    /// The flags as an option set.
    @inlinable public var tcp: TCPFlags { TCPFlags(rawValue: tcpFlags) }

    /// True for ICMP in IPv4 or ICMPv6 in IPv6 (the only pairings the parser decodes).
    @inlinable public var isICMP: Bool {
        (ipVersion == 4 && `protocol` == 1) || (ipVersion == 6 && `protocol` == 58)
    }

    /// True for an ICMP error type (v4 3, 4, 5, 11, 12; v6 1–4), whether or not its quoted
    /// packet was captured.
    @inlinable public var isICMPError: Bool {
        l4Present && PacketHeaders.isError(version: ipVersion, protocol: `protocol`, type: icmpType)
    }

    /// True for an ICMP query whose identifier conntrack tracks (v4 echo 8/0, timestamp 13/14,
    /// information 15/16, address mask 17/18; v6 echo 128/129).
    @inlinable public var isICMPQuery: Bool {
        l4Present && PacketHeaders.isQuery(version: ipVersion, protocol: `protocol`, type: icmpType)
    }

    /// True when the packet has real port numbers (TCP, UDP, UDP-Lite, SCTP with the header present).
    @inlinable public var hasPorts: Bool {
        l4Present && PacketHeaders.protocolHasPorts(`protocol`)
    }

    @inlinable
    public static func protocolHasPorts(_ p: UInt8) -> Bool {
        p == 6 || p == 17 || p == 132 || p == 136
    }

    @inlinable
    static func isError(version: UInt8, protocol p: UInt8, type t: UInt8) -> Bool {
        if version == 4 && p == 1 {
            return t == 3 || t == 4 || t == 5 || t == 11 || t == 12
        }
        if version == 6 && p == 58 {
            return t >= 1 && t <= 4
        }
        return false
    }

    @inlinable
    static func isQuery(version: UInt8, protocol p: UInt8, type t: UInt8) -> Bool {
        if version == 4 && p == 1 {
            return t == 0 || t == 8 || (t >= 13 && t <= 18)
        }
        if version == 6 && p == 58 {
            return t == 128 || t == 129
        }
        return false
    }
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// tcpdump style: `S`, `S.`, `F.`, `R`, `P.`, … (`.` is ACK).
    public var description: String {
        var s = ""
        if contains(.fin) { s += "F" }
        if contains(.syn) { s += "S" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ack) { s += "." }
        return s.isEmpty ? "none" : s
    }
}
