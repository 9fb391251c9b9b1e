// Builds frames byte by byte for tests and capture generators: every encapsulation the parser
// reads, with correct IPv4 header, TCP/UDP/ICMP/ICMPv6 and SCTP (CRC32c) checksums. Output is a
// pure function of the description (no randomness, no clocks), so generated captures are
// reproducible byte for byte. Not for the fast path: it allocates freely.
import Addresses

/// A description of one packet, from link layer to payload, that turns into bytes.
///
/// ```swift
/// let syn = PacketBuilder(link: .ethernet(vlans: [.dot1Q(10)]),
///                         network: .ip("10.0.0.1", "10.0.0.2"),
///                         transport: .tcp(src: 40000, dst: 80, flags: .syn))
/// let frame = syn.frame()          // Ethernet + 802.1Q + IPv4 + TCP
/// let quoted = syn.ipPacket()      // from the IP header on, e.g. to quote in an ICMP error
/// ```
public struct PacketBuilder: Sendable, Hashable {
    /// The link-layer framing.
    public enum Link: Sendable, Hashable {
        /// Ethernet II, with optional 802.1Q/802.1ad tags, outermost first.
        case ethernet(source: [UInt8] = PacketBuilder.sourceMAC, destination: [UInt8] = PacketBuilder.destinationMAC,
                      vlans: [VLANTag] = [])
        /// Linux cooked v1 (`LINKTYPE_LINUX_SLL`). Packet type 0 = to us, 4 = outgoing.
        case linuxSLL(packetType: UInt16 = 0, hardwareType: UInt16 = 1, address: [UInt8] = PacketBuilder.sourceMAC)
        /// Linux cooked v2 (`LINKTYPE_LINUX_SLL2`).
        case linuxSLL2(interfaceIndex: UInt32 = 1, packetType: UInt8 = 0, hardwareType: UInt16 = 1,
                       address: [UInt8] = PacketBuilder.sourceMAC)
        /// No link header, `LINKTYPE_RAW`.
        case raw
        /// No link header, `LINKTYPE_IPV4`.
        case ipv4
        /// No link header, `LINKTYPE_IPV6`.
        case ipv6
        /// BSD loopback (`LINKTYPE_NULL`): a 4-byte address family, little-endian unless asked.
        /// Without a family: 2 for IPv4, 30 (Darwin's AF_INET6) for IPv6.
        case null(family: UInt32? = nil, bigEndian: Bool = false)
        /// OpenBSD loopback (`LINKTYPE_LOOP`): a big-endian address family. Without a family: 2
        /// for IPv4, 24 (OpenBSD's AF_INET6) for IPv6.
        case loop(family: UInt32? = nil)

        /// The pcap link type of frames built with this framing.
        public var linkType: LinkType {
            switch self {
            case .ethernet: return .ethernet
            case .linuxSLL: return .linuxSLL
            case .linuxSLL2: return .linuxSLL2
            case .raw: return .raw
            case .ipv4: return .ipv4
            case .ipv6: return .ipv6
            case .null: return .null
            case .loop: return .loop
            }
        }
    }

    /// An 802.1Q (TPID 0x8100) or 802.1ad (TPID 0x88a8) tag.
    public struct VLANTag: Sendable, Hashable {
        public var tpid: UInt16
        public var id: UInt16
        public var priority: UInt8
        public init(id: UInt16, tpid: UInt16 = 0x8100, priority: UInt8 = 0) {
            self.id = id
            self.tpid = tpid
            self.priority = priority
        }
        /// A customer tag (TPID 0x8100).
        public static func dot1Q(_ id: UInt16) -> VLANTag { VLANTag(id: id) }
        /// A service (QinQ outer) tag (TPID 0x88a8).
        public static func dot1ad(_ id: UInt16) -> VLANTag { VLANTag(id: id, tpid: 0x88A8) }
    }

    /// IPv4 header fields.
    public struct IPv4Header: Sendable, Hashable {
        public var src: IPAddress
        public var dst: IPAddress
        public var ttl: UInt8
        public var tos: UInt8
        public var identification: UInt16
        public var dontFragment: Bool
        public var moreFragments: Bool
        /// In 8-byte units, as in the header.
        public var fragmentOffset: UInt16
        /// Option bytes, padded with End-of-Options (0) to a multiple of 4; at most 40.
        public var options: [UInt8]

        public init(src: IPAddress, dst: IPAddress, ttl: UInt8 = 64, tos: UInt8 = 0, identification: UInt16 = 0,
                    dontFragment: Bool = false, moreFragments: Bool = false, fragmentOffset: UInt16 = 0,
                    options: [UInt8] = []) {
            precondition(src.family == .v4 && dst.family == .v4, "IPv4 header needs IPv4 addresses")
            precondition(options.count <= 40, "IPv4 options are at most 40 bytes")
            self.src = src
            self.dst = dst
            self.ttl = ttl
            self.tos = tos
            self.identification = identification
            self.dontFragment = dontFragment
            self.moreFragments = moreFragments
            self.fragmentOffset = fragmentOffset
            self.options = options
        }
    }

    /// IPv6 header fields and the extension headers that follow it, in order.
    public struct IPv6Header: Sendable, Hashable {
        public var src: IPAddress
        public var dst: IPAddress
        public var hopLimit: UInt8
        public var trafficClass: UInt8
        public var flowLabel: UInt32
        public var extensionHeaders: [IPv6ExtensionHeader]

        public init(src: IPAddress, dst: IPAddress, hopLimit: UInt8 = 64, trafficClass: UInt8 = 0,
                    flowLabel: UInt32 = 0, extensionHeaders: [IPv6ExtensionHeader] = []) {
            precondition(src.family == .v6 && dst.family == .v6, "IPv6 header needs IPv6 addresses")
            self.src = src
            self.dst = dst
            self.hopLimit = hopLimit
            self.trafficClass = trafficClass
            self.flowLabel = flowLabel
            self.extensionHeaders = extensionHeaders
        }
    }

    /// An IPv6 extension header.
    public enum IPv6ExtensionHeader: Sendable, Hashable {
        /// Hop-by-hop options (0): `optionBytes` of PadN, rounded up so the header is a multiple of 8.
        case hopByHop(optionBytes: Int = 6)
        /// Routing (43): type 0 layout, 4 reserved bytes then the addresses.
        case routing(type: UInt8 = 0, segmentsLeft: UInt8 = 0, addresses: [IPAddress] = [])
        /// Fragment (44). The offset is in 8-byte units.
        case fragment(offset: UInt16 = 0, moreFragments: Bool = false, identification: UInt32 = 0)
        /// Destination options (60), like ``hopByHop(optionBytes:)``.
        case destinationOptions(optionBytes: Int = 6)
        /// Authentication header (51) with a zero ICV; `icvLength` keeps the header a multiple of 8.
        case authentication(spi: UInt32 = 0x100, sequence: UInt32 = 1, icvLength: Int = 12)

        /// The next-header value that announces this header.
        public var protocolNumber: UInt8 {
            switch self {
            case .hopByHop: return 0
            case .routing: return 43
            case .fragment: return 44
            case .destinationOptions: return 60
            case .authentication: return 51
            }
        }
    }

    /// The network layer.
    public enum Network: Sendable, Hashable {
        case ipv4(IPv4Header)
        case ipv6(IPv6Header)
        /// A non-IP payload (ARP, LLDP, …) after the given EtherType; the transport is ignored.
        case other(etherType: UInt16, bytes: [UInt8])

        /// Plain IPv4 or IPv6 between two addresses of the same family.
        public static func ip(_ src: IPAddress, _ dst: IPAddress) -> Network {
            precondition(src.family == dst.family, "addresses of different families")
            return src.family == .v4 ? .ipv4(IPv4Header(src: src, dst: dst)) : .ipv6(IPv6Header(src: src, dst: dst))
        }

        /// Plain IPv4 or IPv6 from address literals (traps on a bad literal: for tests and generators).
        public static func ip(_ src: String, _ dst: String) -> Network {
            guard let s = IPAddress(src), let d = IPAddress(dst) else {
                preconditionFailure("bad address literal \(src) or \(dst)")
            }
            return ip(s, d)
        }
    }

    /// The transport layer (or, for fragments and unknown protocols, opaque bytes).
    public enum Transport: Sendable, Hashable {
        case tcp(src: UInt16, dst: UInt16, flags: TCPFlags = .syn, seq: UInt32 = 0, ack: UInt32 = 0,
                 window: UInt16 = 64240)
        case udp(src: UInt16, dst: UInt16)
        /// SCTP common header plus one chunk. The chunk's value is the payload; an INIT chunk
        /// (type 1) with an empty payload gets a minimal valid INIT body.
        case sctp(src: UInt16, dst: UInt16, verificationTag: UInt32 = 0, chunkType: UInt8 = 1, chunkFlags: UInt8 = 0)
        /// ICMP echo request/reply (8/0) or ICMPv6 echo (128/129), by the network's family.
        case icmpEcho(request: Bool = true, id: UInt16, sequence: UInt16 = 1)
        /// An ICMP/ICMPv6 error quoting `quoting` (the offending packet from its IP header on,
        /// already cut to the length you want). `rest` fills bytes 4–7 (MTU, pointer, gateway).
        case icmpError(type: UInt8, code: UInt8, quoting: [UInt8], rest: UInt32 = 0)
        /// Any ICMP/ICMPv6 message: 8-byte header, then the payload.
        case icmp(type: UInt8, code: UInt8, rest: UInt32 = 0)
        /// ESP (50): SPI and sequence number, then the payload as ciphertext.
        case esp(spi: UInt32, sequence: UInt32 = 1)
        /// Opaque bytes under the given protocol number: non-first fragments, GRE, …
        case other(protocol: UInt8, bytes: [UInt8] = [])
    }

    public static let sourceMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    public static let destinationMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]

    public var link: Link
    public var network: Network
    public var transport: Transport
    /// Bytes after the transport header (for ICMP errors: ignored; the quote is the body).
    public var payload: [UInt8]
    /// Pad Ethernet frames with zeros to the 60-byte minimum, as a NIC would on the wire.
    public var padToEthernetMinimum: Bool

    public init(link: Link = .ethernet(), network: Network, transport: Transport, payload: [UInt8] = [],
                padToEthernetMinimum: Bool = false) {
        self.link = link
        self.network = network
        self.transport = transport
        self.payload = payload
        self.padToEthernetMinimum = padToEthernetMinimum
    }

    /// The pcap link type of ``frame()``.
    public var linkType: LinkType { link.linkType }

    // MARK: - Output

    /// The whole frame, link-layer header first.
    public func frame() -> [UInt8] {
        let l3 = networkBytes()
        var out: [UInt8] = []
        out.reserveCapacity(l3.bytes.count + 32)
        switch link {
        case let .ethernet(source, destination, vlans):
            precondition(source.count == 6 && destination.count == 6, "MAC addresses are 6 bytes")
            out += destination
            out += source
            for tag in vlans {
                out.appendBE16(tag.tpid)
                out.appendBE16(UInt16(tag.priority & 0x7) << 13 | (tag.id & 0x0FFF))
            }
            out.appendBE16(l3.etherType)
            out += l3.bytes
            if padToEthernetMinimum && out.count < 60 {
                out += [UInt8](repeating: 0, count: 60 - out.count)
            }
        case let .linuxSLL(packetType, hardwareType, address):
            out.appendBE16(packetType)
            out.appendBE16(hardwareType)
            out.appendBE16(UInt16(min(address.count, 8)))
            out += address.prefix(8) + [UInt8](repeating: 0, count: 8 - min(address.count, 8))
            out.appendBE16(l3.etherType)
            out += l3.bytes
        case let .linuxSLL2(interfaceIndex, packetType, hardwareType, address):
            out.appendBE16(l3.etherType)
            out.appendBE16(0)
            out.appendBE32(interfaceIndex)
            out.appendBE16(hardwareType)
            out.append(packetType)
            out.append(UInt8(min(address.count, 8)))
            out += address.prefix(8) + [UInt8](repeating: 0, count: 8 - min(address.count, 8))
            out += l3.bytes
        case .raw, .ipv4, .ipv6:
            out += l3.bytes
        case let .null(family, bigEndian):
            let f = family ?? (l3.etherType == 0x86DD ? 30 : 2)
            if bigEndian { out.appendBE32(f) } else { out.appendLE32(f) }
            out += l3.bytes
        case let .loop(family):
            out.appendBE32(family ?? (l3.etherType == 0x86DD ? 24 : 2))
            out += l3.bytes
        }
        return out
    }

    /// The packet from its network-layer header on (what an ICMP error quotes).
    public func ipPacket() -> [UInt8] { networkBytes().bytes }

    // MARK: - Layers

    private func networkBytes() -> (etherType: UInt16, bytes: [UInt8]) {
        switch network {
        case let .other(etherType, bytes):
            return (etherType, bytes)
        case let .ipv4(ip):
            let (proto, l4) = transportBytes(pseudo: Pseudo(src: ip.src, dst: ip.dst, v6: false))
            var options = ip.options
            while options.count % 4 != 0 { options.append(0) }
            let ihl = 5 + options.count / 4
            var h: [UInt8] = []
            h.append(UInt8(0x40 | ihl))
            h.append(ip.tos)
            h.appendBE16(UInt16(truncatingIfNeeded: ihl * 4 + l4.count))
            h.appendBE16(ip.identification)
            var frag = ip.fragmentOffset & 0x1FFF
            if ip.dontFragment { frag |= 0x4000 }
            if ip.moreFragments { frag |= 0x2000 }
            h.appendBE16(frag)
            h.append(ip.ttl)
            h.append(proto)
            h.appendBE16(0)
            h.appendBE32(ip.src.v4)
            h.appendBE32(ip.dst.v4)
            h += options
            let sum = Checksum.internet(h)
            h[10] = UInt8(sum >> 8)
            h[11] = UInt8(sum & 0xFF)
            return (0x0800, h + l4)
        case let .ipv6(ip):
            let (proto, l4) = transportBytes(pseudo: Pseudo(src: ip.src, dst: ip.dst, v6: true))
            var ext: [UInt8] = []
            for (i, header) in ip.extensionHeaders.enumerated() {
                let next = i + 1 < ip.extensionHeaders.count ? ip.extensionHeaders[i + 1].protocolNumber : proto
                ext += PacketBuilder.encode(header, next: next)
            }
            let first = ip.extensionHeaders.first?.protocolNumber ?? proto
            var h: [UInt8] = []
            h.appendBE32(6 << 28 | UInt32(ip.trafficClass) << 20 | (ip.flowLabel & 0xFFFFF))
            h.appendBE16(UInt16(truncatingIfNeeded: ext.count + l4.count))
            h.append(first)
            h.append(ip.hopLimit)
            h += ip.src.bytes
            h += ip.dst.bytes
            return (0x86DD, h + ext + l4)
        }
    }

    private struct Pseudo {
        var src: IPAddress
        var dst: IPAddress
        var v6: Bool

        /// The TCP/UDP/ICMPv6 pseudo-header (RFC 793, RFC 8200 §8.1).
        func bytes(protocol p: UInt8, length: Int) -> [UInt8] {
            var out = src.bytes + dst.bytes
            if v6 {
                out.appendBE32(UInt32(length))
                out += [0, 0, 0, p]
            } else {
                out += [0, p]
                out.appendBE16(UInt16(truncatingIfNeeded: length))
            }
            return out
        }
    }

    private func transportBytes(pseudo: Pseudo) -> (UInt8, [UInt8]) {
        switch transport {
        case let .tcp(src, dst, flags, seq, ack, window):
            var t: [UInt8] = []
            t.appendBE16(src)
            t.appendBE16(dst)
            t.appendBE32(seq)
            t.appendBE32(ack)
            t.append(5 << 4)
            t.append(flags.rawValue)
            t.appendBE16(window)
            t.appendBE16(0)
            t.appendBE16(0)
            t += payload
            let sum = Checksum.internet(pseudo.bytes(protocol: 6, length: t.count) + t)
            t[16] = UInt8(sum >> 8)
            t[17] = UInt8(sum & 0xFF)
            return (6, t)
        case let .udp(src, dst):
            var t: [UInt8] = []
            t.appendBE16(src)
            t.appendBE16(dst)
            t.appendBE16(UInt16(truncatingIfNeeded: 8 + payload.count))
            t.appendBE16(0)
            t += payload
            var sum = Checksum.internet(pseudo.bytes(protocol: 17, length: t.count) + t)
            if sum == 0 { sum = 0xFFFF }
            t[6] = UInt8(sum >> 8)
            t[7] = UInt8(sum & 0xFF)
            return (17, t)
        case let .sctp(src, dst, verificationTag, chunkType, chunkFlags):
            var value = payload
            if value.isEmpty && chunkType == 1 {
                // INIT: initiate tag, a_rwnd, outbound streams, inbound streams, initial TSN.
                value.appendBE32(1)
                value.appendBE32(65535)
                value.appendBE16(10)
                value.appendBE16(10)
                value.appendBE32(1)
            }
            var t: [UInt8] = []
            t.appendBE16(src)
            t.appendBE16(dst)
            t.appendBE32(verificationTag)
            t.appendBE32(0)
            t.append(chunkType)
            t.append(chunkFlags)
            t.appendBE16(UInt16(truncatingIfNeeded: 4 + value.count))
            t += value
            while t.count % 4 != 0 { t.append(0) }
            // RFC 9260 Appendix A: CRC32c, stored least significant byte first.
            let crc = Checksum.crc32c(t)
            t[8] = UInt8(crc & 0xFF)
            t[9] = UInt8((crc >> 8) & 0xFF)
            t[10] = UInt8((crc >> 16) & 0xFF)
            t[11] = UInt8(crc >> 24)
            return (132, t)
        case let .icmpEcho(request, id, sequence):
            let type: UInt8 = pseudo.v6 ? (request ? 128 : 129) : (request ? 8 : 0)
            return icmp(type: type, code: 0, rest: UInt32(id) << 16 | UInt32(sequence), body: payload, pseudo: pseudo)
        case let .icmpError(type, code, quoting, rest):
            return icmp(type: type, code: code, rest: rest, body: quoting, pseudo: pseudo)
        case let .icmp(type, code, rest):
            return icmp(type: type, code: code, rest: rest, body: payload, pseudo: pseudo)
        case let .esp(spi, sequence):
            var t: [UInt8] = []
            t.appendBE32(spi)
            t.appendBE32(sequence)
            return (50, t + payload)
        case let .other(proto, bytes):
            return (proto, bytes + payload)
        }
    }

    private func icmp(type: UInt8, code: UInt8, rest: UInt32, body: [UInt8], pseudo: Pseudo) -> (UInt8, [UInt8]) {
        let proto: UInt8 = pseudo.v6 ? 58 : 1
        var t: [UInt8] = [type, code, 0, 0]
        t.appendBE32(rest)
        t += body
        let covered = pseudo.v6 ? pseudo.bytes(protocol: 58, length: t.count) + t : t
        let sum = Checksum.internet(covered)
        t[2] = UInt8(sum >> 8)
        t[3] = UInt8(sum & 0xFF)
        return (proto, t)
    }

    private static func encode(_ header: IPv6ExtensionHeader, next: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        switch header {
        case let .hopByHop(optionBytes), let .destinationOptions(optionBytes):
            let total = (2 + max(optionBytes, 0) + 7) / 8 * 8
            out.append(next)
            out.append(UInt8(total / 8 - 1))
            // One PadN option covering the option area (always at least 6 bytes here).
            let area = total - 2
            out.append(1)
            out.append(UInt8(area - 2))
            out += [UInt8](repeating: 0, count: area - 2)
        case let .routing(type, segmentsLeft, addresses):
            out.append(next)
            out.append(UInt8(addresses.count * 2))
            out.append(type)
            out.append(segmentsLeft)
            out.appendBE32(0)
            for a in addresses { out += a.bytes }
        case let .fragment(offset, moreFragments, identification):
            out.append(next)
            out.append(0)
            out.appendBE16(offset << 3 | (moreFragments ? 1 : 0))
            out.appendBE32(identification)
        case let .authentication(spi, sequence, icvLength):
            precondition((12 + icvLength) % 8 == 0, "IPv6 AH must be a multiple of 8 bytes")
            out.append(next)
            out.append(UInt8((12 + icvLength) / 4 - 2))
            out.appendBE16(0)
            out.appendBE32(spi)
            out.appendBE32(sequence)
            out += [UInt8](repeating: 0, count: icvLength)
        }
        return out
    }
}

// MARK: - Convenience

extension PacketBuilder {
    /// A TCP packet between two address literals.
    public static func tcp(_ src: String, _ srcPort: UInt16, _ dst: String, _ dstPort: UInt16,
                           flags: TCPFlags = .syn, link: Link = .ethernet(), payload: [UInt8] = []) -> PacketBuilder {
        PacketBuilder(link: link, network: .ip(src, dst), transport: .tcp(src: srcPort, dst: dstPort, flags: flags),
                      payload: payload)
    }

    /// A UDP packet between two address literals.
    public static func udp(_ src: String, _ srcPort: UInt16, _ dst: String, _ dstPort: UInt16,
                           link: Link = .ethernet(), payload: [UInt8] = []) -> PacketBuilder {
        PacketBuilder(link: link, network: .ip(src, dst), transport: .udp(src: srcPort, dst: dstPort), payload: payload)
    }

    /// An ICMP/ICMPv6 echo request or reply between two address literals.
    public static func ping(_ src: String, _ dst: String, id: UInt16, sequence: UInt16 = 1, request: Bool = true,
                            link: Link = .ethernet()) -> PacketBuilder {
        PacketBuilder(link: link, network: .ip(src, dst), transport: .icmpEcho(request: request, id: id, sequence: sequence))
    }
}

// MARK: - Checksums

/// Checksums the builder fills in; internal to the module, exposed for tests through the builder's output.
enum Checksum {
    /// RFC 1071 one's-complement sum, complemented.
    static func internet(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum &+= UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return ~UInt16(sum)
    }

    /// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), as SCTP uses.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 {
                crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
        }
        return ~crc
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE16(_ v: UInt16) {
        append(UInt8(v >> 8))
        append(UInt8(v & 0xFF))
    }

    mutating func appendBE32(_ v: UInt32) {
        append(UInt8(v >> 24))
        append(UInt8((v >> 16) & 0xFF))
        append(UInt8((v >> 8) & 0xFF))
        append(UInt8(v & 0xFF))
    }

    mutating func appendLE32(_ v: UInt32) {
        append(UInt8(v & 0xFF))
        append(UInt8((v >> 8) & 0xFF))
        append(UInt8((v >> 16) & 0xFF))
        append(UInt8(v >> 24))
    }
}
