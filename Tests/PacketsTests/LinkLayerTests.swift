import Testing
import Packets

@Suite("Link layer")
struct LinkLayerTests {
    /// Every framing the builder makes, with where the IP header must start.
    static let framings: [(String, PacketBuilder.Link, Int)] = [
        ("ethernet", .ethernet(), 14),
        ("802.1Q", .ethernet(vlans: [.dot1Q(100)]), 18),
        ("QinQ 802.1ad+802.1Q", .ethernet(vlans: [.dot1ad(300), .dot1Q(42)]), 22),
        ("QinQ 0x8100+0x8100", .ethernet(vlans: [.dot1Q(7), .dot1Q(8)]), 22),
        ("legacy QinQ 0x9100", .ethernet(vlans: [PacketBuilder.VLANTag(id: 5, tpid: 0x9100), .dot1Q(6)]), 22),
        ("linux SLL", .linuxSLL(packetType: 4), 16),
        ("linux SLL2", .linuxSLL2(interfaceIndex: 3), 20),
        ("raw", .raw, 0),
        ("null (little-endian)", .null(), 4),
        ("null (big-endian)", .null(bigEndian: true), 4),
        ("loop", .loop(), 4),
    ]

    static var cases: [NamedPacket] {
        var out: [NamedPacket] = []
        for (name, link, _) in framings {
            out.append(NamedPacket("\(name) IPv4", .tcp(v4a, 40000, v4b, 443, link: link)))
            out.append(NamedPacket("\(name) IPv6", .tcp(v6a, 40000, v6b, 443, link: link)))
        }
        out.append(NamedPacket("LINKTYPE_IPV4", .tcp(v4a, 40000, v4b, 443, link: .ipv4)))
        out.append(NamedPacket("LINKTYPE_IPV6", .tcp(v6a, 40000, v6b, 443, link: .ipv6)))
        return out
    }

    @Test("every framing yields the same L3/L4 fields", arguments: cases)
    func framing(_ c: NamedPacket) throws {
        let (outcome, h) = parse(c.packet)
        try #require(outcome == .ok)
        let v6 = c.packet.network.isV6
        #expect(h.ipVersion == (v6 ? 6 : 4))
        #expect(h.src == ip(v6 ? v6a : v4a) && h.dst == ip(v6 ? v6b : v4b))
        #expect(h.protocol == 6 && h.srcPort == 40000 && h.dstPort == 443 && h.l4Present)
        #expect(h.etherType == (v6 ? 0x86DD : 0x0800))
        let expectedOffset = LinkLayerTests.framings.first { c.name.hasPrefix($0.0 + " ") }?.2 ?? 0
        #expect(Int(h.l3Offset) == expectedOffset)
        #expect(Int(h.l4Offset) == expectedOffset + (v6 ? 40 : 20))
    }

    @Test func vlanIDs() {
        let (o1, single) = parse(.udp(v4a, 1, v4b, 2, link: .ethernet(vlans: [PacketBuilder.VLANTag(id: 100, priority: 5)])))
        #expect(o1 == .ok && single.vlanCount == 1 && single.outerVLANID == 100 && single.innerVLANID == 0)
        let (o2, qinq) = parse(.udp(v4a, 1, v4b, 2, link: .ethernet(vlans: [.dot1ad(4094), .dot1Q(1)])))
        #expect(o2 == .ok && qinq.vlanCount == 2 && qinq.outerVLANID == 4094 && qinq.innerVLANID == 1)
        let (o3, triple) = parse(.udp(v4a, 1, v4b, 2, link: .ethernet(vlans: [.dot1ad(10), .dot1Q(20), .dot1Q(30)])))
        #expect(o3 == .ok && triple.vlanCount == 3 && triple.outerVLANID == 10 && triple.innerVLANID == 20)
        #expect(triple.l3Offset == 26 && triple.dstPort == 2)
        let (o4, untagged) = parse(.udp(v4a, 1, v4b, 2))
        #expect(o4 == .ok && untagged.vlanCount == 0)
    }

    @Test("BSD loopback address families", arguments: [
        (UInt32(2), false, UInt8(4)), (2, true, 4),
        (10, false, 6), (24, false, 6), (28, false, 6), (30, false, 6),
        (10, true, 6), (24, true, 6), (28, true, 6), (30, true, 6),
    ])
    func loopbackFamilies(family: UInt32, bigEndian: Bool, version: UInt8) throws {
        let addrs = version == 4 ? (v4a, v4b) : (v6a, v6b)
        let p = PacketBuilder.udp(addrs.0, 5353, addrs.1, 53, link: .null(family: family, bigEndian: bigEndian))
        let (outcome, h) = parse(p)
        try #require(outcome == .ok)
        #expect(h.ipVersion == version && h.dstPort == 53 && h.l3Offset == 4)
        // The same family through LINKTYPE_LOOP (always network order).
        let (o2, h2) = parse(PacketBuilder.udp(addrs.0, 5353, addrs.1, 53, link: .loop(family: family)))
        #expect(o2 == .ok && h2.ipVersion == version)
    }

    @Test func loopbackUnknownFamilyIsNotIP() {
        let p = PacketBuilder.udp(v4a, 1, v4b, 2, link: .null(family: 7))
        #expect(parse(p).0 == .notIP)
        #expect(parse(PacketBuilder.udp(v4a, 1, v4b, 2, link: .loop(family: 17))).0 == .notIP)
    }

    @Test func arpAndOtherEtherTypesAreNotIP() {
        let arp = PacketBuilder(network: .other(etherType: 0x0806, bytes: [UInt8](repeating: 1, count: 28)),
                                transport: .other(protocol: 0))
        let (outcome, h) = parse(arp)
        #expect(outcome == .notIP)
        #expect(h.etherType == 0x0806 && h.ipVersion == 0)
        let lldpOverVLAN = PacketBuilder(link: .ethernet(vlans: [.dot1Q(9)]),
                                         network: .other(etherType: 0x88CC, bytes: [0, 0]), transport: .other(protocol: 0))
        let (o2, h2) = parse(lldpOverVLAN)
        #expect(o2 == .notIP && h2.vlanCount == 1 && h2.outerVLANID == 9)
        let sllARP = PacketBuilder(link: .linuxSLL(), network: .other(etherType: 0x0806, bytes: [0]), transport: .other(protocol: 0))
        #expect(parse(sllARP).0 == .notIP)
        // An 802.3 frame: the type field is a length (< 0x0600), then LLC.
        var dot3 = PacketBuilder.udp(v4a, 1, v4b, 2).frame()
        dot3[12] = 0x00
        dot3[13] = 0x2E
        #expect(parse(dot3, .ethernet).0 == .notIP)
    }

    @Test func rawIPWithAnotherVersionIsNotIP() {
        var frame = PacketBuilder.udp(v4a, 1, v4b, 2, link: .raw).frame()
        frame[0] = 0x55
        #expect(parse(frame, .raw).0 == .notIP)
    }

    @Test("the version nibble must agree with the link layer")
    func versionMismatch() {
        let v6packet = PacketBuilder.udp(v6a, 1, v6b, 2, link: .raw).frame()
        let v4packet = PacketBuilder.udp(v4a, 1, v4b, 2, link: .raw).frame()
        #expect(parse(v6packet, .ipv4).0 == .badIPVersion)
        #expect(parse(v4packet + [UInt8](repeating: 0, count: 40), .ipv6).0 == .badIPVersion)
        let lying = PacketBuilder(network: .other(etherType: 0x0800, bytes: v6packet), transport: .other(protocol: 0))
        #expect(parse(lying).0 == .badIPVersion)
        #expect(parse(lying).1.ipVersion == 0)
    }

    @Test func truncatedLinkHeaders() {
        #expect(parse([UInt8](repeating: 0, count: 13), .ethernet).0 == .truncatedL2)
        #expect(parse([UInt8](repeating: 0, count: 15), .linuxSLL).0 == .truncatedL2)
        #expect(parse([UInt8](repeating: 0, count: 19), .linuxSLL2).0 == .truncatedL2)
        #expect(parse([2, 0, 0], .null).0 == .truncatedL2)
        #expect(parse([], .loop).0 == .truncatedL2)
        #expect(parse([], .raw).0 == .truncatedL3)
        #expect(parse([], .ipv4).0 == .truncatedL3)
        // A VLAN tag cut in half is still the link layer.
        let tagged = PacketBuilder.udp(v4a, 1, v4b, 2, link: .ethernet(vlans: [.dot1Q(1)])).frame()
        #expect(parse(Array(tagged.prefix(16)), .ethernet).0 == .truncatedL2)
        #expect(parse(Array(tagged.prefix(18)), .ethernet).0 == .truncatedL3)
    }

    @Test("a DLT number parses through the same paths; unknown numbers are reported")
    func dltEntryPoint() {
        let raw = PacketBuilder.udp(v4a, 1, v4b, 2, link: .raw).frame()
        var h = PacketHeaders()
        let viaDLT = raw.withUnsafeBytes { PacketParser.parse($0, dlt: 12, into: &h) }
        #expect(viaDLT == .ok && h.dstPort == 2)
        let viaLinktype = raw.withUnsafeBytes { PacketParser.parse($0, dlt: 101, into: &h) }
        #expect(viaLinktype == .ok)
        let unknown = raw.withUnsafeBytes { PacketParser.parse($0, dlt: 147, into: &h) }
        #expect(unknown == .unsupportedLinkType && h.ipVersion == 0)
    }

    @Test func linkTypeNumbers() {
        #expect(LinkType.ethernet.rawValue == 1 && LinkType.raw.rawValue == 101 && LinkType.linuxSLL.rawValue == 113)
        #expect(LinkType.linuxSLL2.rawValue == 276 && LinkType.null.rawValue == 0 && LinkType.loop.rawValue == 108)
        #expect(LinkType.ipv4.rawValue == 228 && LinkType.ipv6.rawValue == 229)
        #expect(LinkType.bsdLoopback == .null)
        #expect(LinkType(dlt: 12) == .raw && LinkType(dlt: 101) == .raw && LinkType(dlt: 1) == .ethernet)
        #expect(LinkType(dlt: 147) == nil && LinkType(dlt: 105) == nil)
        #expect(LinkType.raw.dlt == 12 && LinkType.linuxSLL2.dlt == 276)
        for t in LinkType.allCases { #expect(LinkType(dlt: t.dlt) == t) }
    }
}

extension PacketBuilder.Network {
    var isV6: Bool {
        if case .ipv6 = self { return true }
        return false
    }
}
