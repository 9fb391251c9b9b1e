import Testing
import Packets

@Suite("Transport layer")
struct TransportLayerTests {
    @Test("TCP ports, flags and sequence", arguments: [v4a, v6a])
    func tcp(src: String) throws {
        let dst = src == v4a ? v4b : v6b
        let p = PacketBuilder(network: .ip(src, dst),
                              transport: .tcp(src: 51000, dst: 8443, flags: [.syn, .ack, .ece], seq: 0xDEAD_BEEF, ack: 99),
                              payload: Array("hello".utf8))
        let frame = p.frame()
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.protocol == 6 && h.srcPort == 51000 && h.dstPort == 8443)
        #expect(h.tcpFlags == 0x52 && h.tcp == [.syn, .ack, .ece] && h.tcp.description == "SE.")
        let l4 = Int(h.l4Offset)
        #expect(Array(frame[(l4 + 4)..<(l4 + 8)]) == [0xDE, 0xAD, 0xBE, 0xEF], "sequence number")
        #expect(h.l4Length == 25)
        let segment = Array(frame[l4...])
        #expect(onesComplementSum(pseudoHeader(h, length: segment.count) + segment) == 0xFFFF, "TCP checksum")
    }

    @Test("UDP ports and checksum", arguments: [v4a, v6a])
    func udp(src: String) throws {
        let dst = src == v4a ? v4b : v6b
        let frame = PacketBuilder.udp(src, 53, dst, 33333, payload: [1, 2, 3]).frame()
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.protocol == 17 && h.srcPort == 53 && h.dstPort == 33333 && h.tcpFlags == 0 && h.hasPorts)
        let segment = Array(frame[Int(h.l4Offset)...])
        #expect(segment[4] == 0 && segment[5] == 11, "UDP length")
        #expect(onesComplementSum(pseudoHeader(h, length: segment.count) + segment) == 0xFFFF, "UDP checksum")
    }

    @Test("SCTP common header, one chunk, CRC32c", arguments: [v4a, v6a])
    func sctp(src: String) throws {
        let dst = src == v4a ? v4b : v6b
        let frame = PacketBuilder(network: .ip(src, dst), transport: .sctp(src: 2905, dst: 2906, verificationTag: 0, chunkType: 1))
            .frame()
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.protocol == 132 && h.srcPort == 2905 && h.dstPort == 2906 && h.l4Present && h.hasPorts)
        var packet = Array(frame[Int(h.l4Offset)...])
        #expect(packet.count == 12 + 20, "common header + minimal INIT chunk")
        #expect(packet[12] == 1 && packet[14] == 0 && packet[15] == 20, "chunk type and length")
        let stored = UInt32(packet[8]) | UInt32(packet[9]) << 8 | UInt32(packet[10]) << 16 | UInt32(packet[11]) << 24
        packet.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        #expect(crc32cTable(Array("123456789".utf8)) == 0xE306_9283, "reference CRC32c check value")
        #expect(stored == crc32cTable(packet))
    }

    @Test func sctpDataChunkWithPayload() throws {
        let p = PacketBuilder(network: .ip(v4a, v4b), transport: .sctp(src: 1, dst: 2, verificationTag: 0xABCD, chunkType: 0),
                              payload: [9, 9, 9])
        let frame = p.frame()
        let (_, h) = parse(frame, .ethernet)
        let packet = Array(frame[Int(h.l4Offset)...])
        #expect(packet.count == 12 + 8, "4-byte chunk header + 3 bytes, padded to 4")
        #expect(packet[15] == 7, "chunk length excludes padding")
        #expect(Array(packet[4..<8]) == [0, 0, 0xAB, 0xCD])
    }

    @Test("ICMP/ICMPv6 echo", arguments: [(v4a, true), (v4a, false), (v6a, true), (v6a, false)] as [(String, Bool)])
    func echo(src: String, request: Bool) throws {
        let v6 = src == v6a
        let frame = PacketBuilder.ping(src, v6 ? v6b : v4b, id: 0x4242, sequence: 7, request: request).frame()
        let (outcome, h) = parse(frame, .ethernet)
        try #require(outcome == .ok)
        #expect(h.protocol == (v6 ? 58 : 1) && h.isICMP)
        #expect(h.icmpType == (v6 ? (request ? 128 : 129) : (request ? 8 : 0)) && h.icmpCode == 0)
        #expect(h.icmpEchoID == 0x4242 && h.icmpEchoSequence == 7 && h.isICMPQuery && !h.isICMPError)
        #expect(h.srcPort == 0 && h.dstPort == 0 && !h.hasEmbedded)
        let message = Array(frame[Int(h.l4Offset)...])
        let covered = v6 ? pseudoHeader(h, length: message.count) + message : message
        #expect(onesComplementSum(covered) == 0xFFFF, "ICMP checksum")
    }

    @Test("other ICMP types keep type and code but no identifier")
    func otherICMP() throws {
        let rs = PacketBuilder(network: .ip(v6a, "ff02::2"), transport: .icmp(type: 133, code: 0))
        let (o1, h1) = parse(rs)
        #expect(o1 == .ok && h1.icmpType == 133 && !h1.isICMPQuery && !h1.isICMPError && h1.icmpEchoID == 0)
        let ts = PacketBuilder(network: .ip(v4a, v4b), transport: .icmp(type: 13, code: 0, rest: 0x0009_0001))
        let (_, h2) = parse(ts)
        #expect(h2.isICMPQuery && h2.icmpEchoID == 9, "timestamp requests carry an identifier conntrack tracks")
        // Protocol 1 inside IPv6 is not ICMPv6 and is not decoded as ICMP.
        let odd = PacketBuilder(network: .ip(v6a, v6b), transport: .other(protocol: 1, bytes: [8, 0, 0, 0, 0, 1, 0, 1]))
        let (o3, h3) = parse(odd)
        #expect(o3 == .ok && h3.protocol == 1 && !h3.isICMP && h3.icmpType == 0)
    }

    @Test("the minimum header for l4Present", arguments: [
        (UInt8(6), 20), (17, 8), (132, 12), (1, 8),
    ])
    func minimumHeaders(proto: UInt8, minimum: Int) throws {
        let transport: PacketBuilder.Transport
        switch proto {
        case 6: transport = .tcp(src: 1, dst: 2)
        case 17: transport = .udp(src: 1, dst: 2)
        case 132: transport = .sctp(src: 1, dst: 2, chunkType: 0)
        default: transport = .icmpEcho(id: 1)
        }
        let frame = PacketBuilder(network: .ip(v4a, v4b), transport: transport).frame()
        let l4 = 14 + 20
        let (_, short) = parse(Array(frame.prefix(l4 + minimum - 1)), .ethernet)
        #expect(!short.l4Present && short.srcPort == 0 && short.icmpType == 0)
        let (_, exact) = parse(Array(frame.prefix(l4 + minimum)), .ethernet)
        #expect(exact.l4Present)
    }

    @Test func unknownProtocolCountsAsPresent() throws {
        let gre = PacketBuilder(network: .ip(v4a, v4b), transport: .other(protocol: 47, bytes: [0, 0, 0x08, 0x00]))
        let (outcome, h) = parse(gre)
        try #require(outcome == .ok)
        #expect(h.protocol == 47 && h.l4Present && !h.hasPorts)
    }
}
