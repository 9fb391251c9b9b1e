import Testing
import Packets

/// Truncation and fuzz tests. In a debug build, the parser's loads are bounds-checked by the
/// standard library as well, so an out-of-bounds read would trap here rather than pass silently.
@Suite("Robustness")
struct RobustnessTests {
    static let packets: [NamedPacket] = {
        let udpQuote = Array(PacketBuilder.udp(v4b, 40000, "192.0.2.9", 53).ipPacket().prefix(28))
        let tcp6 = PacketBuilder(network: .ipv6(.init(src: ip(v6b), dst: ip(v6a), extensionHeaders: [.hopByHop()])),
                                 transport: .tcp(src: 1, dst: 2))
        return [
            NamedPacket("ethernet TCP", .tcp(v4a, 40000, v4b, 80, payload: [1, 2, 3])),
            NamedPacket("QinQ UDP with IPv4 options", PacketBuilder(
                link: .ethernet(vlans: [.dot1ad(10), .dot1Q(20)]),
                network: .ipv4(.init(src: ip(v4a), dst: ip(v4b), options: [0x94, 4, 0, 0, 1, 1, 1, 1])),
                transport: .udp(src: 5, dst: 6))),
            NamedPacket("SLL ICMP echo", .ping(v4a, v4b, id: 9, link: .linuxSLL())),
            NamedPacket("SLL2 IPv6 TCP behind hop-by-hop, fragment, dest-opts", PacketBuilder(
                link: .linuxSLL2(),
                network: .ipv6(.init(src: ip(v6a), dst: ip(v6b), extensionHeaders: [
                    .hopByHop(), .fragment(offset: 0, moreFragments: true, identification: 1), .destinationOptions(optionBytes: 14),
                ])),
                transport: .tcp(src: 7, dst: 8))),
            NamedPacket("raw IPv6 UDP", .udp(v6a, 1, v6b, 2, link: .raw)),
            NamedPacket("null ICMPv6 error quoting TCP", PacketBuilder(
                link: .null(family: 30), network: .ip(v6a, v6b), transport: .icmpError(type: 1, code: 4, quoting: tcp6.ipPacket()))),
            NamedPacket("ethernet ICMP error quoting UDP", PacketBuilder(
                network: .ip("192.0.2.1", v4b), transport: .icmpError(type: 3, code: 3, quoting: udpQuote))),
            NamedPacket("loop SCTP", PacketBuilder(link: .loop(), network: .ip(v4a, v4b), transport: .sctp(src: 1, dst: 2))),
            NamedPacket("IPv6 non-first fragment", PacketBuilder(
                network: .ipv6(.init(src: ip(v6a), dst: ip(v6b), extensionHeaders: [.fragment(offset: 3, moreFragments: true)])),
                transport: .other(protocol: 17, bytes: [UInt8](repeating: 0, count: 24)))),
            NamedPacket("LINKTYPE_IPV4 AH-less ESP", PacketBuilder(link: .ipv4, network: .ip(v4a, v4b), transport: .esp(spi: 1))),
            NamedPacket("IPv6 AH then UDP", PacketBuilder(
                link: .ipv6, network: .ipv6(.init(src: ip(v6a), dst: ip(v6b), extensionHeaders: [.authentication()])),
                transport: .udp(src: 3, dst: 4))),
        ]
    }()

    static func minimumL4(_ h: PacketHeaders) -> Int {
        switch h.protocol {
        case 6: return 20
        case 17, 136: return 8
        case 132: return 12
        case 1 where h.ipVersion == 4, 58 where h.ipVersion == 6: return 8
        default: return 0
        }
    }

    @Test("every prefix of a packet parses to the outcome its length implies", arguments: packets)
    func everyTruncation(_ c: NamedPacket) throws {
        let frame = c.packet.frame()
        let (fullOutcome, full) = parse(frame, c.packet.linkType)
        try #require(fullOutcome == .ok)
        let l2 = c.packet.linkType.headerLength + 4 * Int(full.vlanCount)
        #expect(Int(full.l3Offset) == l2)
        let l4 = Int(full.l4Offset)
        let nonFirst = full.fragmentOffset != 0
        var embeddedSeen = false
        for n in 0...frame.count {
            let (outcome, h) = parse(Array(frame.prefix(n)), c.packet.linkType)
            if n < l2 {
                #expect(outcome == .truncatedL2, "length \(n)")
                continue
            }
            if n < l4 {
                #expect(outcome == .truncatedL3, "length \(n)")
                #expect(h.ipVersion == 0)
                continue
            }
            try #require(outcome == .ok, "length \(n)")
            #expect(h.src == full.src && h.dst == full.dst && h.protocol == full.protocol && h.l4Offset == full.l4Offset)
            let present = !nonFirst && n - l4 >= RobustnessTests.minimumL4(full)
            #expect(h.l4Present == present, "length \(n)")
            #expect(h.srcPort == (present ? full.srcPort : 0) && h.dstPort == (present ? full.dstPort : 0), "length \(n)")
            #expect(h.icmpEchoID == (present ? full.icmpEchoID : 0), "length \(n)")
            if h.hasEmbedded {
                #expect(h.embedded.src == full.embedded.src && h.embedded.dst == full.embedded.dst)
                embeddedSeen = true
            } else {
                #expect(!embeddedSeen, "the quote, once complete, stays complete (length \(n))")
            }
        }
        #expect(embeddedSeen == full.hasEmbedded)
    }

    @Test("random bytes never crash, for every link type")
    func randomBytes() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var outcomes: [ParseOutcome: Int] = [:]
        var headers = PacketHeaders()
        var buffer = [UInt8](repeating: 0, count: 256)
        for linkType in LinkType.allCases {
            for _ in 0..<4000 {
                let length = Int(rng.next() % 257)
                for i in 0..<length { buffer[i] = UInt8(truncatingIfNeeded: rng.next()) }
                // Bias some frames towards IP so the deeper layers get exercised too.
                if length > 20 && rng.next() % 2 == 0 {
                    let l2 = linkType.headerLength
                    if linkType == .ethernet { buffer[12] = 0x08; buffer[13] = rng.next() % 2 == 0 ? 0x00 : 0xDD }
                    if linkType == .ethernet, buffer[13] == 0xDD { buffer[12] = 0x86 }
                    if l2 < length { buffer[l2] = rng.next() % 2 == 0 ? 0x45 : 0x60 }
                }
                let outcome = buffer.withUnsafeBytes {
                    PacketParser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<length]), linkType: linkType, into: &headers)
                }
                outcomes[outcome, default: 0] += 1
                checkInvariants(outcome, headers, length: length)
            }
        }
        #expect(outcomes[.ok, default: 0] > 1000, "the biased half reaches IP often: \(outcomes)")
        #expect(outcomes.count >= 5, "many different outcomes: \(outcomes)")
    }

    @Test("mutated valid packets never crash")
    func mutatedPackets() {
        var rng = SplitMix64(seed: 42)
        var headers = PacketHeaders()
        var ok = 0
        for c in RobustnessTests.packets {
            let original = c.packet.frame()
            for _ in 0..<1500 {
                var frame = original
                for _ in 0...(rng.next() % 4) {
                    frame[Int(rng.next() % UInt64(frame.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                let length = rng.next() % 3 == 0 ? Int(rng.next() % UInt64(frame.count + 1)) : frame.count
                let outcome = frame.withUnsafeBytes {
                    PacketParser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<length]), linkType: c.packet.linkType, into: &headers)
                }
                if outcome == .ok { ok += 1 }
                checkInvariants(outcome, headers, length: length)
            }
        }
        #expect(ok > 5000)
    }

    func checkInvariants(_ outcome: ParseOutcome, _ h: PacketHeaders, length: Int) {
        if outcome == .ok {
            #expect(h.ipVersion == 4 || h.ipVersion == 6)
            #expect(Int(h.l4Offset) <= length && h.l3Offset <= h.l4Offset)
            if !h.l4Present { #expect(h.srcPort == 0 && h.dstPort == 0) }
            if h.hasEmbedded { #expect(h.isICMPError) }
        } else {
            #expect(h.ipVersion == 0)
        }
    }

    @Test("reusing one PacketHeaders leaves nothing from the previous packet")
    func resetBetweenPackets() {
        var h = PacketHeaders()
        let rich = PacketBuilder(link: .ethernet(vlans: [.dot1Q(5)]), network: .ip(v4a, v4b),
                                 transport: .icmpError(type: 3, code: 3,
                                                       quoting: Array(PacketBuilder.udp(v4b, 1, v4a, 2).ipPacket().prefix(28))))
        _ = rich.frame().withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &h) }
        #expect(h.hasEmbedded && h.vlanCount == 1)
        let arp = PacketBuilder(network: .other(etherType: 0x0806, bytes: [0]), transport: .other(protocol: 0)).frame()
        _ = arp.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &h) }
        var expected = PacketHeaders()
        expected.etherType = 0x0806
        #expect(h == expected)
    }
}

@Suite("PacketBuilder")
struct PacketBuilderTests {
    @Test("output is a pure function of the description")
    func deterministic() {
        for c in RobustnessTests.packets {
            #expect(c.packet.frame() == c.packet.frame())
        }
    }

    @Test("a known frame, byte for byte")
    func goldenFrame() {
        let frame = PacketBuilder.udp("192.0.2.1", 1000, "192.0.2.2", 53, payload: [0xAA]).frame()
        let expected: [UInt8] = [
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,  // Ethernet
            0x45, 0x00, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0xF6, 0xCC,  // IPv4, checksum 0xf6cc (computed independently)
            192, 0, 2, 1, 192, 0, 2, 2,
            0x03, 0xE8, 0x00, 0x35, 0x00, 0x09, 0xCD, 0xBA,  // UDP, checksum 0xcdba
            0xAA,
        ]
        #expect(frame == expected)
    }

    @Test func linkHeaders() {
        let sll = PacketBuilder.udp(v4a, 1, v4b, 2, link: .linuxSLL(packetType: 4, hardwareType: 1)).frame()
        #expect(Array(sll.prefix(16)) == [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00])
        let sll2 = PacketBuilder.udp(v6a, 1, v6b, 2, link: .linuxSLL2(interfaceIndex: 7, packetType: 0)).frame()
        #expect(Array(sll2.prefix(20)) == [0x86, 0xDD, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0])
        #expect(Array(PacketBuilder.udp(v4a, 1, v4b, 2, link: .null()).frame().prefix(4)) == [2, 0, 0, 0])
        #expect(Array(PacketBuilder.udp(v6a, 1, v6b, 2, link: .loop()).frame().prefix(4)) == [0, 0, 0, 24])
        let tagged = PacketBuilder.udp(v4a, 1, v4b, 2,
                                       link: .ethernet(vlans: [.dot1ad(0x123), PacketBuilder.VLANTag(id: 0x456, priority: 3)])).frame()
        #expect(Array(tagged[12..<22]) == [0x88, 0xA8, 0x01, 0x23, 0x81, 0x00, 0x64, 0x56, 0x08, 0x00])
    }
}
