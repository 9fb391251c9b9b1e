import Addresses
import Testing
import Packets

@Suite("ICMP errors")
struct ICMPErrorTests {
    /// The UDP datagram 10.0.0.2:40000 → 192.0.2.9:53 that provokes the error.
    static let offendingV4 = PacketBuilder(network: .ip(v4b, "192.0.2.9"), transport: .udp(src: 40000, dst: 53),
                                           payload: [UInt8](repeating: 7, count: 30))
    static let offendingV6 = PacketBuilder(
        network: .ipv6(.init(src: ip(v6b), dst: ip("2001:db8::9"), extensionHeaders: [.hopByHop(), .destinationOptions()])),
        transport: .tcp(src: 40001, dst: 443), payload: [UInt8](repeating: 7, count: 30))

    @Test("IPv4 error types quote the offending packet", arguments: [UInt8(3), 4, 5, 11, 12])
    func v4Errors(type: UInt8) throws {
        // RFC 792: the IP header plus the first 8 bytes of the datagram.
        let quote = Array(ICMPErrorTests.offendingV4.ipPacket().prefix(28))
        let error = PacketBuilder(network: .ip("192.0.2.1", v4b), transport: .icmpError(type: type, code: 3, quoting: quote))
        let (outcome, h) = parse(error)
        try #require(outcome == .ok)
        #expect(h.protocol == 1 && h.icmpType == type && h.icmpCode == 3 && h.isICMPError)
        #expect(h.hasEmbedded)
        let e = h.embedded
        #expect(e.ipVersion == 4 && e.src == ip(v4b) && e.dst == ip("192.0.2.9"))
        #expect(e.protocol == 17 && e.srcPort == 40000 && e.dstPort == 53 && e.l4Present)
        // The embedded key is the offending packet's own key: what conntrack looks up for RELATED.
        let offending = try #require(FlowKey(parse(ICMPErrorTests.offendingV4).1))
        #expect(FlowKey(embeddedIn: h) == offending)
        #expect(FlowKey(h)?.srcPort == 0, "the error's own key has no ports")
        let message = Array(error.frame()[Int(h.l4Offset)...])
        #expect(onesComplementSum(message) == 0xFFFF, "ICMP checksum over the quote")
    }

    @Test("ICMPv6 error types quote the offending packet (past its extension headers)", arguments: [UInt8(1), 2, 3, 4])
    func v6Errors(type: UInt8) throws {
        let quote = ICMPErrorTests.offendingV6.ipPacket()
        let error = PacketBuilder(network: .ip("2001:db8::1", v6b),
                                  transport: .icmpError(type: type, code: 0, quoting: quote, rest: type == 2 ? 1280 : 0))
        let (outcome, h) = parse(error)
        try #require(outcome == .ok)
        #expect(h.protocol == 58 && h.icmpType == type && h.isICMPError && h.hasEmbedded)
        let e = h.embedded
        #expect(e.ipVersion == 6 && e.src == ip(v6b) && e.dst == ip("2001:db8::9"))
        #expect(e.protocol == 6 && e.srcPort == 40001 && e.dstPort == 443)
        let offending = try #require(FlowKey(parse(ICMPErrorTests.offendingV6).1))
        #expect(FlowKey(embeddedIn: h) == offending)
    }

    @Test("non-error types carry no embedded header", arguments: [
        (v4a, 9), (v4a, 0), (v4a, 8), (v6a, 128), (v6a, 135), (v6a, 5),
    ] as [(String, UInt8)])
    func nonErrors(src: String, type: UInt8) {
        let quote = Array(ICMPErrorTests.offendingV4.ipPacket().prefix(28))
        let dst = src == v4a ? v4b : v6b
        let p = PacketBuilder(network: .ip(src, dst), transport: .icmpError(type: type, code: 0, quoting: quote))
        let (_, h) = parse(p)
        #expect(!h.hasEmbedded && !h.isICMPError)
        #expect(FlowKey(embeddedIn: h) == nil)
    }

    @Test("time exceeded for an echo request relates to the echo flow")
    func quotedEcho() throws {
        let request = PacketBuilder.ping(v4a, "198.51.100.7", id: 31337, sequence: 3)
        let quote = Array(request.ipPacket().prefix(28))
        let ttlExceeded = PacketBuilder(network: .ip("192.0.2.254", v4a), transport: .icmpError(type: 11, code: 0, quoting: quote))
        let (_, h) = parse(ttlExceeded)
        #expect(h.hasEmbedded && h.embedded.protocol == 1 && h.embedded.icmpType == 8 && h.embedded.icmpEchoID == 31337)
        let requestKey = try #require(FlowKey(parse(request).1))
        #expect(FlowKey(embeddedIn: h) == requestKey)

        let v6request = PacketBuilder.ping(v6a, "2001:db8::7", id: 99)
        let v6error = PacketBuilder(network: .ip("2001:db8::fe", v6a),
                                    transport: .icmpError(type: 3, code: 0, quoting: v6request.ipPacket()))
        let (_, h6) = parse(v6error)
        #expect(h6.embedded.icmpEchoID == 99 && FlowKey(embeddedIn: h6) == FlowKey(parse(v6request).1))
    }

    @Test func quoteWithoutL4() throws {
        let quote = Array(ICMPErrorTests.offendingV4.ipPacket().prefix(20))
        let (_, h) = parse(PacketBuilder(network: .ip(v4a, v4b), transport: .icmpError(type: 3, code: 1, quoting: quote)))
        #expect(h.hasEmbedded && !h.embedded.l4Present && h.embedded.protocol == 17 && h.embedded.srcPort == 0)
        let short = Array(quote.prefix(19))
        let (_, h2) = parse(PacketBuilder(network: .ip(v4a, v4b), transport: .icmpError(type: 3, code: 1, quoting: short)))
        #expect(!h2.hasEmbedded && h2.isICMPError)
        let (_, h3) = parse(PacketBuilder(network: .ip(v4a, v4b), transport: .icmpError(type: 3, code: 1, quoting: [])))
        #expect(!h3.hasEmbedded)
    }

    @Test func quotedNonFirstFragmentHasNoPorts() throws {
        let fragment = PacketBuilder(network: .ipv4(.init(src: ip(v4b), dst: ip(v4a), fragmentOffset: 10)),
                                     transport: .other(protocol: 17, bytes: [1, 2, 3, 4, 5, 6, 7, 8]))
        let (_, h) = parse(PacketBuilder(network: .ip(v4a, v4b),
                                         transport: .icmpError(type: 11, code: 1, quoting: fragment.ipPacket())))
        #expect(h.hasEmbedded && h.embedded.isNonFirstFragment && !h.embedded.l4Present)
        let key = try #require(FlowKey(embeddedIn: h))
        #expect(key.srcPort == 0 && key.dstPort == 0 && key.protocol == 17)
    }

    @Test("the quote is bounded by the outer datagram, not by trailing padding")
    func quoteBoundedByOuterLength() {
        // A 20-byte quote, then Ethernet padding that would look like ports.
        let quote = Array(ICMPErrorTests.offendingV4.ipPacket().prefix(20))
        var frame = PacketBuilder(network: .ip(v4a, v4b), transport: .icmpError(type: 3, code: 3, quoting: quote)).frame()
        frame += [0x9C, 0x40, 0x00, 0x35]
        let (_, h) = parse(frame, .ethernet)
        #expect(h.hasEmbedded && !h.embedded.l4Present && h.embedded.srcPort == 0)
    }
}

@Suite("FlowKey")
struct FlowKeyTests {
    @Test func fromHeaders() throws {
        let (_, h) = parse(.tcp(v4a, 1234, v4b, 80))
        let key = try #require(FlowKey(h))
        #expect(key.src == ip(v4a) && key.dst == ip(v4b) && key.srcPort == 1234 && key.dstPort == 80)
        #expect(key.protocol == 6 && key.ipVersion == 4)
        #expect(key == FlowKey(src: ip(v4a), dst: ip(v4b), protocol: 6, srcPort: 1234, dstPort: 80))
        #expect(key.description == "tcp 10.0.0.1:1234 > 10.0.0.2:80")
        #expect(FlowKey(PacketHeaders()) == nil)
    }

    @Test func reversedAndCanonical() throws {
        let request = try #require(FlowKey(parse(.udp(v6b, 5353, v6a, 53)).1))
        let reply = try #require(FlowKey(parse(.udp(v6a, 53, v6b, 5353)).1))
        #expect(request.reversed == reply && reply.reversed == request)
        #expect(request.reversed.reversed == request)
        #expect(request != reply)
        #expect(request.canonical == reply.canonical)
        #expect(request.isCanonical != reply.isCanonical)
        #expect(request.canonical.isCanonical)
        #expect(reply.description == "udp [fd00::1]:53 > [fd00:0:0:1::2]:5353")
    }

    @Test("same address, ports decide canonical order")
    func canonicalByPort() {
        let a = FlowKey(src: ip(v4a), dst: ip(v4a), protocol: 17, srcPort: 9000, dstPort: 53)
        #expect(!a.isCanonical && a.canonical == a.reversed && a.canonical.srcPort == 53)
    }

    @Test("ICMP echo: identifier in both ports; request and reply are reverses")
    func echoKeys() throws {
        for (x, y) in [(v4a, v4b), (v6a, v6b)] {
            let request = try #require(FlowKey(parse(PacketBuilder.ping(x, y, id: 777, sequence: 1)).1))
            let reply = try #require(FlowKey(parse(PacketBuilder.ping(y, x, id: 777, sequence: 1, request: false)).1))
            #expect(request.srcPort == 777 && request.dstPort == 777)
            #expect(reply == request.reversed && reply.canonical == request.canonical)
            let otherID = try #require(FlowKey(parse(PacketBuilder.ping(x, y, id: 778)).1))
            #expect(otherID != request)
        }
        let k = FlowKey(parse(PacketBuilder.ping(v4a, v4b, id: 5)).1)
        #expect(k?.description == "icmp 10.0.0.1 > 10.0.0.2 id 5")
    }

    @Test("IPv4 and IPv6 keys never collide")
    func familyInKey() {
        let v4 = FlowKey(src: ip("1.2.3.4"), dst: ip("5.6.7.8"), protocol: 6, srcPort: 1, dstPort: 2)
        let v6 = FlowKey(src: ip("::102:304"), dst: ip("::506:708"), protocol: 6, srcPort: 1, dstPort: 2)
        #expect(v4 != v6 && v4.hash64 != v6.hash64)
        #expect(Set([v4, v6]).count == 2)
    }

    @Test func hash64IsStableAndSpreads() {
        let k = FlowKey(src: ip(v4a), dst: ip(v4b), protocol: 6, srcPort: 1234, dstPort: 80)
        #expect(k.hash64 == FlowKey(src: ip(v4a), dst: ip(v4b), protocol: 6, srcPort: 1234, dstPort: 80).hash64)
        var low = Set<UInt64>()
        for port in UInt16(1)...1024 {
            low.insert(FlowKey(src: ip(v4a), dst: ip(v4b), protocol: 6, srcPort: port, dstPort: 80).hash64 & 1023)
        }
        #expect(low.count > 550, "1024 keys differing in one port fill most of 1024 buckets (got \(low.count))")
    }

    @Test("values on the fast path hold no references (no ARC, no allocation on copy)")
    func trivialLayouts() {
        #expect(_isPOD(PacketHeaders.self))
        #expect(_isPOD(FlowKey.self))
        #expect(_isPOD(IPAddress.self))
        #expect(_isPOD(EmbeddedHeaders.self))
        #expect(MemoryLayout<FlowKey>.size == 38)
        #expect(MemoryLayout<PacketHeaders>.size <= 192)
    }
}
