import Testing
import Packets

@Suite("IPv4")
struct IPv4Tests {
    func v4(_ header: PacketBuilder.IPv4Header, _ transport: PacketBuilder.Transport,
            payload: [UInt8] = [], link: PacketBuilder.Link = .ethernet()) -> PacketBuilder {
        PacketBuilder(link: link, network: .ipv4(header), transport: transport, payload: payload)
    }

    @Test("options move L4 by IHL", arguments: [0, 4, 8, 40])
    func options(length: Int) throws {
        // Router alert (RFC 2113), then NOPs.
        let options = length == 0 ? [] : [0x94, 0x04, 0x00, 0x00] + [UInt8](repeating: 1, count: length - 4)
        let p = v4(.init(src: ip(v4a), dst: ip(v4b), ttl: 9, options: options), .udp(src: 5000, dst: 53))
        let frame = p.frame()
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(frame[14] == 0x40 | UInt8(5 + length / 4), "IHL reflects the options")
        #expect(h.l4Offset == UInt32(14 + 20 + length))
        #expect(h.srcPort == 5000 && h.dstPort == 53 && h.ttl == 9 && h.l4Present)
    }

    @Test func headerChecksumIsValid() {
        let options: [UInt8] = [0x94, 0x04, 0, 0]
        let frame = v4(.init(src: ip("192.168.1.1"), dst: ip("8.8.8.8"), identification: 0xBEEF, dontFragment: true,
                             options: options), .udp(src: 1, dst: 2)).frame()
        let header = Array(frame[14..<(14 + 24)])
        #expect(onesComplementSum(header) == 0xFFFF)
        #expect(header[10] != 0 || header[11] != 0)
    }

    @Test func firstFragmentCarriesPorts() throws {
        let p = v4(.init(src: ip(v4a), dst: ip(v4b), identification: 777, moreFragments: true),
                   .udp(src: 1111, dst: 2222), payload: [UInt8](repeating: 0xAB, count: 64))
        let (outcome, h) = parse(p)
        try #require(outcome == .ok)
        #expect(h.isFragment && h.isFirstFragment && h.moreFragments && h.fragmentOffset == 0)
        #expect(h.ipID == 777 && h.l4Present && h.srcPort == 1111 && h.dstPort == 2222)
        #expect(FlowKey(h)?.dstPort == 2222)
    }

    @Test("a non-first fragment has a protocol but no L4 header (SEMANTICS §7.7)")
    func nonFirstFragmentHasNoPorts() throws {
        for more in [true, false] {
            // Bytes that would look like ports 0x0050 → 0x0050 if misread as a UDP header.
            let p = v4(.init(src: ip(v4a), dst: ip(v4b), identification: 778, moreFragments: more, fragmentOffset: 185),
                       .other(protocol: 17, bytes: [0, 0x50, 0, 0x50] + [UInt8](repeating: 0, count: 60)))
            let (outcome, h) = parse(p)
            try #require(outcome == .ok)
            #expect(h.isFragment && !h.isFirstFragment && h.moreFragments == more)
            #expect(h.fragmentOffset == 185 && h.ipID == 778 && h.protocol == 17)
            #expect(!h.l4Present && h.srcPort == 0 && h.dstPort == 0 && !h.hasPorts)
            let key = try #require(FlowKey(h))
            #expect(key.srcPort == 0 && key.dstPort == 0 && key.protocol == 17)
        }
    }

    @Test func unfragmentedIsNotAFragment() {
        let (_, h) = parse(v4(.init(src: ip(v4a), dst: ip(v4b), dontFragment: true), .udp(src: 1, dst: 2)))
        #expect(!h.isFragment && !h.isFirstFragment && h.dontFragment)
    }

    @Test("bad IHL", arguments: [0, 1, 4])
    func badIHL(ihl: UInt8) {
        var frame = PacketBuilder.udp(v4a, 1, v4b, 2).frame()
        frame[14] = 0x40 | ihl
        let (outcome, h) = parse(frame, .ethernet)
        #expect(outcome == .badIHL)
        #expect(h.ipVersion == 0)
    }

    @Test func ihlBeyondCaptureIsTruncated() {
        var frame = PacketBuilder.udp(v4a, 1, v4b, 2).frame()
        frame[14] = 0x4F  // 60-byte header, but the frame holds 20 + 8
        #expect(parse(frame, .ethernet).0 == .truncatedL3)
    }

    @Test func totalLengthShorterThanHeaderIsBad() {
        var frame = PacketBuilder.udp(v4a, 1, v4b, 2).frame()
        frame[16] = 0
        frame[17] = 19
        #expect(parse(frame, .ethernet).0 == .badTotalLength)
    }

    @Test("total length bounds the datagram: Ethernet padding is not payload")
    func paddingIsIgnored() throws {
        // An IPv4 packet whose TCP header is cut by the *total length* (not the capture), padded
        // to the Ethernet minimum with bytes that would otherwise complete a TCP header.
        var frame = PacketBuilder.tcp(v4a, 1234, v4b, 80).frame()
        frame[16] = 0
        frame[17] = 30  // 20-byte IP header + 10 bytes of TCP
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(!h.l4Present && h.srcPort == 0 && h.l4Length == 10)

        let padded = PacketBuilder(network: .ip(v4a, v4b), transport: .udp(src: 7, dst: 9), padToEthernetMinimum: true)
        let bytes = padded.frame()
        #expect(bytes.count == 60)
        let (o2, h2) = parse(bytes, .ethernet)
        #expect(o2 == .ok && h2.l4Length == 8 && h2.dstPort == 9)
    }

    @Test("total length 0 (TSO capture) means up to the end of the capture")
    func zeroTotalLength() throws {
        var frame = PacketBuilder.tcp(v4a, 1234, v4b, 80, payload: [1, 2, 3]).frame()
        frame[16] = 0
        frame[17] = 0
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.l4Present && h.dstPort == 80 && h.l4Length == 23)
    }
}

@Suite("IPv6")
struct IPv6Tests {
    typealias Ext = PacketBuilder.IPv6ExtensionHeader

    func v6(_ ext: [Ext], _ transport: PacketBuilder.Transport, payload: [UInt8] = []) -> PacketBuilder {
        PacketBuilder(network: .ipv6(.init(src: ip(v6a), dst: ip(v6b), hopLimit: 33, extensionHeaders: ext)),
                      transport: transport, payload: payload)
    }

    static let chains: [(String, [Ext], Int)] = [
        ("none", [], 0),
        ("hop-by-hop", [.hopByHop()], 8),
        ("hop-by-hop, 22 option bytes", [.hopByHop(optionBytes: 22)], 24),
        ("routing with two addresses", [.routing(type: 0, segmentsLeft: 2, addresses: [ip("fd00::a"), ip("fd00::b")])], 40),
        ("destination options", [.destinationOptions(optionBytes: 14)], 16),
        ("AH", [.authentication()], 24),
        ("atomic fragment", [.fragment(offset: 0, moreFragments: false, identification: 9)], 8),
        ("all of them", [.hopByHop(), .destinationOptions(), .routing(addresses: [ip("fd00::a")]),
                         .fragment(offset: 0, moreFragments: true, identification: 0xDEAD_BEEF), .authentication(),
                         .destinationOptions()], 8 + 8 + 24 + 8 + 24 + 8),
    ]

    @Test("extension headers are skipped", arguments: chains)
    func extensionHeaders(name: String, ext: [Ext], length: Int) throws {
        let (outcome, h) = parse(v6(ext, .tcp(src: 2000, dst: 22, flags: [.syn, .ack])))
        try #require(outcome == .ok)
        #expect(h.ipVersion == 6 && h.ttl == 33)
        #expect(h.protocol == 6 && h.srcPort == 2000 && h.dstPort == 22 && h.tcpFlags == 0x12 && h.l4Present)
        #expect(h.l4Offset == UInt32(14 + 40 + length))
        #expect(h.l4Length == 20)
    }

    @Test func chainAnnouncesEachHeader() {
        let frame = v6([.hopByHop(), .routing(), .destinationOptions()], .udp(src: 1, dst: 2)).frame()
        #expect(frame[14 + 6] == 0, "IPv6 next header: hop-by-hop")
        #expect(frame[14 + 40] == 43, "hop-by-hop → routing")
        #expect(frame[14 + 48] == 60, "routing → destination options")
        #expect(frame[14 + 56] == 17, "destination options → UDP")
    }

    @Test func fragmentHeaderFirstFragment() throws {
        let (outcome, h) = parse(v6([.fragment(offset: 0, moreFragments: true, identification: 0x1234_5678)],
                                    .udp(src: 53, dst: 5353), payload: [UInt8](repeating: 0, count: 100)))
        try #require(outcome == .ok)
        #expect(h.isFragment && h.isFirstFragment && h.moreFragments && h.ipID == 0x1234_5678)
        #expect(h.protocol == 17 && h.l4Present && h.dstPort == 5353)
    }

    @Test func fragmentHeaderNonFirstFragment() throws {
        let (outcome, h) = parse(v6([.hopByHop(), .fragment(offset: 100, moreFragments: false, identification: 42)],
                                    .other(protocol: 6, bytes: [UInt8](repeating: 0x11, count: 40))))
        try #require(outcome == .ok)
        #expect(h.isFragment && !h.isFirstFragment && !h.moreFragments)
        #expect(h.fragmentOffset == 100 && h.ipID == 42)
        #expect(h.protocol == 6 && !h.l4Present && h.srcPort == 0 && h.dstPort == 0)
        #expect(h.l4Offset == 14 + 40 + 16)
    }

    @Test func atomicFragmentIsNotAFragment() {
        let (_, h) = parse(v6([.fragment(offset: 0, moreFragments: false, identification: 5)], .udp(src: 1, dst: 2)))
        #expect(!h.isFragment && !h.isFirstFragment && h.ipID == 5 && h.l4Present)
    }

    @Test("ESP ends the walk: protocol 50, no ports")
    func esp() throws {
        let (outcome, h) = parse(v6([.hopByHop()], .esp(spi: 0x1000, sequence: 1), payload: [1, 2, 3, 4]))
        try #require(outcome == .ok)
        #expect(h.protocol == 50 && h.srcPort == 0 && h.dstPort == 0 && !h.hasPorts)
        #expect(FlowKey(h)?.srcPort == 0)
        let v4esp = PacketBuilder(network: .ip(v4a, v4b), transport: .esp(spi: 7))
        #expect(parse(v4esp).1.protocol == 50)
    }

    @Test func noNextHeader() throws {
        let (outcome, h) = parse(v6([.destinationOptions()], .other(protocol: 59)))
        try #require(outcome == .ok)
        #expect(h.protocol == 59 && h.l4Present && !h.hasPorts)
    }

    @Test func extensionHeaderLimit() {
        let eight = [Ext](repeating: .destinationOptions(), count: PacketParser.maxExtensionHeaders)
        #expect(parse(v6(eight, .udp(src: 1, dst: 2))).0 == .ok)
        let nine = eight + [.destinationOptions()]
        let (outcome, h) = parse(v6(nine, .udp(src: 1, dst: 2)))
        #expect(outcome == .tooManyExtensionHeaders && h.ipVersion == 0)
    }

    @Test func extensionHeaderLengthBeyondPacketIsTruncated() {
        var frame = v6([.hopByHop()], .udp(src: 1, dst: 2)).frame()
        frame[14 + 41] = 200  // hop-by-hop claims 1608 bytes
        #expect(parse(frame, .ethernet).0 == .truncatedL3)
    }

    @Test func payloadLengthBoundsTheDatagram() throws {
        var frame = v6([], .udp(src: 1, dst: 2)).frame() + [UInt8](repeating: 0xEE, count: 16)
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.l4Length == 8 && h.l4Present)
        frame[14 + 5] = 4  // payload length 4: the UDP header is cut
        let (o2, h2) = parse(frame, .ethernet)
        #expect(o2 == .ok && !h2.l4Present && h2.dstPort == 0)
    }
}
