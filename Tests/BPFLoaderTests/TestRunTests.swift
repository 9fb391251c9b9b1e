// BPF_PROG_TEST_RUN on hand-built frames: with empty maps (no table: parsed IP passes, see
// bpf/lib/verdict.h), against the Swift parser's contract, and with a small hand-written table
// (classification, Pass, conntrack, ICMP errors, fragments, counters, endpoint mode).

import Addresses
import BPFEmbedded
import BPFLoader
import CLibbpf
import CVerdictABI
import Packets
import Testing

@Suite("BPF_PROG_TEST_RUN", .enabled(if: BPFCapabilities.current.canLoadPrograms,
                                      "BPF unavailable: \(BPFCapabilities.current.reason ?? "")"))
struct TestRunTests {
    static let programs = ["vd_xdp", "vd_tc_ingress", "vd_tc_egress"]

    // MARK: Empty maps

    @Test("empty maps: parsed IP passes as 'no table', non-IP passes, malformed IP drops", arguments: programs)
    func emptyMaps(program: String) throws {
        let l = try Loaded(program)
        let syn = PacketBuilder.tcp("10.0.0.1", 40000, "10.0.0.2", 80).frame()
        var r = try l.run(syn)
        #expect(r.allowed && r.conntrack == CT.noTable && r.result.count == 0 && r.result.allow == 1)
        r = try l.run(PacketBuilder.udp("fd00::1", 53, "fd00::2", 53).frame())
        #expect(r.allowed && r.conntrack == CT.noTable)
        let arp = PacketBuilder(network: .other(etherType: 0x0806, bytes: [UInt8](repeating: 1, count: 28)), transport: .other(protocol: 0)).frame()
        r = try l.run(arp)
        #expect(r.allowed && r.conntrack == CT.unparsed)
        if l.isXDP {
            // The kernel's TC test run refuses an IPv4 frame shorter than an IP header (EINVAL).
            r = try l.run(Array(syn.prefix(14 + 12)))       // IPv4 header cut
            #expect(!r.allowed && r.conntrack == CT.unparsed)
        }
        r = try l.run(Array(syn.prefix(14 + 20 + 10)))      // TCP header cut
        #expect(!r.allowed && r.conntrack == CT.unparsed)
        // Nothing was counted and no flow was created.
        #expect(try l.object.map("vd_ct").keys(as: vd_ct_key.self).isEmpty)
    }

    /// Frames covering every encapsulation and protocol the parser reads.
    static var corpus: [PacketBuilder] {
        let a4 = "10.1.2.3", b4 = "192.0.2.9", a6 = "fd00::1", b6 = "2001:db8::2"
        let v4 = { (t: PacketBuilder.Transport) in PacketBuilder(network: .ip(a4, b4), transport: t) }
        let v6 = { (t: PacketBuilder.Transport, ext: [PacketBuilder.IPv6ExtensionHeader]) in
            PacketBuilder(network: .ipv6(.init(src: IPAddress(a6)!, dst: IPAddress(b6)!, extensionHeaders: ext)), transport: t)
        }
        let quoted4 = PacketBuilder.udp(b4, 5353, a4, 53).ipPacket()
        let quoted6 = PacketBuilder.tcp(b6, 443, a6, 40000).ipPacket()
        return [
            PacketBuilder.tcp(a4, 1, b4, 2),
            PacketBuilder.tcp(a4, 1, b4, 2, link: .ethernet(vlans: [.dot1Q(10)])),
            PacketBuilder.udp(a4, 1, b4, 2, link: .ethernet(vlans: [.dot1ad(20), .dot1Q(30)])),
            PacketBuilder(network: .ipv4(.init(src: IPAddress(a4)!, dst: IPAddress(b4)!, options: [1, 1, 1, 1, 0x94, 4, 0, 0])),
                          transport: .tcp(src: 7, dst: 8)),
            PacketBuilder(network: .ipv4(.init(src: IPAddress(a4)!, dst: IPAddress(b4)!, identification: 9, moreFragments: true)),
                          transport: .udp(src: 7, dst: 8)),
            PacketBuilder(network: .ipv4(.init(src: IPAddress(a4)!, dst: IPAddress(b4)!, identification: 9, fragmentOffset: 3)),
                          transport: .udp(src: 7, dst: 8)),
            v4(.sctp(src: 1, dst: 2)),
            v4(.other(protocol: 136, bytes: [0, 1, 0, 2, 0, 8, 0, 0])),
            v4(.icmpEcho(id: 7)),
            v4(.icmpError(type: 3, code: 3, quoting: quoted4)),
            v4(.icmpError(type: 11, code: 0, quoting: Array(quoted4.prefix(24)))),
            v4(.esp(spi: 1)),
            v6(.udp(src: 1, dst: 2), []),
            v6(.tcp(src: 1, dst: 2), [.hopByHop(), .routing(), .destinationOptions(), .authentication()]),
            v6(.udp(src: 1, dst: 2), [.fragment(offset: 0, moreFragments: true, identification: 5)]),
            v6(.udp(src: 1, dst: 2), [.fragment(offset: 8, moreFragments: false, identification: 5)]),
            v6(.icmpEcho(request: false, id: 3), []),
            v6(.icmpError(type: 1, code: 4, quoting: quoted6), []),
            v6(.icmpError(type: 2, code: 0, quoting: Array(quoted6.prefix(44))), [.destinationOptions()]),
            v6(.tcp(src: 1, dst: 2), Array(repeating: .destinationOptions(), count: 8)),
            v6(.tcp(src: 1, dst: 2), Array(repeating: .destinationOptions(), count: 9)),
        ]
    }

    /// What the data plane does with a frame when no table is loaded, from the Swift parser:
    /// (allowed, conntrack state).
    static func expectedWithoutTable(_ frame: [UInt8]) -> (Bool, UInt32) {
        var h = PacketHeaders()
        let outcome = frame.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &h) }
        if outcome == .notIP { return (true, CT.unparsed) }
        if outcome != .ok { return (false, CT.unparsed) }
        let nonFirst = h.isFragment && !h.isFirstFragment
        if !h.l4Present && !nonFirst && (PacketHeaders.protocolHasPorts(h.protocol) || h.isICMP) { return (false, CT.unparsed) }
        return (true, CT.noTable)
    }

    @Test("parse outcomes agree with PacketParser on every prefix of every corpus frame")
    func parserContract() throws {
        let l = try Loaded("vd_xdp")
        var checked = 0
        for p in Self.corpus {
            let frame = p.frame()
            for n in stride(from: 14, through: frame.count, by: 1) {
                let f = Array(frame.prefix(n))
                let r = try l.run(f)
                let (allowed, state) = Self.expectedWithoutTable(f)
                #expect(r.allowed == allowed && r.conntrack == state, "\(p) cut to \(n) of \(frame.count) bytes")
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    // MARK: A hand-written table

    @Test("classification, Pass, counters and conntrack on a hand-written table", arguments: ["vd_xdp", "vd_tc_ingress"])
    func twoPods(program: String) throws {
        let l = try Loaded(program)
        try TwoPods.write(to: l.object)
        let (a, b) = (TwoPods.a, TwoPods.b)
        let eg = TwoPods.egressRules

        // Allowed by t0 at b's ingress, rule 0 of the egress chain at a.
        var r = try l.run(PacketBuilder.tcp(a, 40000, b, 80))
        #expect(r.allowed && r.conntrack == CT.new)
        #expect(r.decisions == [[1, 0, 0, 1], [0, 1, 0, 1]])
        // The reply: established, whatever policy says.
        r = try l.run(PacketBuilder.tcp(b, 80, a, 40000, flags: [.syn, .ack]))
        #expect(r.allowed && r.conntrack == CT.established)
        #expect(r.decisions == [[1, 1, 0, 1], [0, 0, 2, 1]])
        // Pass at t1 goes to t3 (Deny), never to t2.
        r = try l.run(PacketBuilder.tcp(a, 40001, b, 8080))
        #expect(!r.allowed && r.conntrack == CT.new)
        #expect(r.decisions == [[1, 0, 0, 1], [0, 1, 3, 0]])
        // A denied flow stays new.
        r = try l.run(PacketBuilder.tcp(b, 8080, a, 40001, flags: [.syn, .ack]))
        #expect(!r.allowed && r.conntrack == CT.invalid)
        r = try l.run(PacketBuilder.tcp(a, 40002, b, 22))
        #expect(r.allowed && r.decisions[1] == [0, 1, 2, 1])
        r = try l.run(PacketBuilder.udp(a, 5000, b, 80))
        #expect(r.allowed && r.decisions[1] == [0, 1, 2, 1], "t0 is TCP only")
        // Through a VLAN tag.
        r = try l.run(PacketBuilder.tcp(a, 40003, b, 8080, link: .ethernet(vlans: [.dot1Q(7)])))
        #expect(!r.allowed && r.decisions[1] == [0, 1, 3, 0])
        // Conntrack INVALID cases.
        r = try l.run(PacketBuilder.tcp(a, 40004, b, 80, flags: .rst))
        #expect(!r.allowed && r.conntrack == CT.invalid)
        r = try l.run(PacketBuilder.ping(b, a, id: 9, request: false))
        #expect(!r.allowed && r.conntrack == CT.invalid)
        // Echo request, then its reply.
        r = try l.run(PacketBuilder.ping(a, b, id: 9))
        #expect(r.allowed && r.conntrack == CT.new && r.decisions[1] == [0, 1, 2, 1])
        r = try l.run(PacketBuilder.ping(b, a, id: 9, request: false))
        #expect(r.allowed && r.conntrack == CT.established)
        // ICMP errors: RELATED when quoting a tracked flow, else INVALID.
        let quoted = PacketBuilder.tcp(a, 40000, b, 80).ipPacket()
        r = try l.run(PacketBuilder(network: .ip(b, a), transport: .icmpError(type: 3, code: 1, quoting: quoted)))
        #expect(r.allowed && r.conntrack == CT.related)
        let unknown = PacketBuilder.tcp(a, 40999, b, 80).ipPacket()
        r = try l.run(PacketBuilder(network: .ip(b, a), transport: .icmpError(type: 3, code: 1, quoting: unknown)))
        #expect(!r.allowed && r.conntrack == CT.invalid)
        // Fragments: the first decides for the rest; an orphan gets the stateless verdict (no ports).
        let first = PacketBuilder(network: .ipv4(.init(src: IPAddress(a)!, dst: IPAddress(b)!, identification: 77, moreFragments: true)),
                                  transport: .udp(src: 5000, dst: 8080))
        let rest = PacketBuilder(network: .ipv4(.init(src: IPAddress(a)!, dst: IPAddress(b)!, identification: 77, fragmentOffset: 10)),
                                 transport: .other(protocol: 17, bytes: [UInt8](repeating: 0, count: 16)))
        let orphan = PacketBuilder(network: .ipv4(.init(src: IPAddress(a)!, dst: IPAddress(b)!, identification: 78, fragmentOffset: 10)),
                                   transport: .other(protocol: 17, bytes: [UInt8](repeating: 0, count: 16)))
        r = try l.run(first)
        #expect(!r.allowed && r.conntrack == CT.new)
        r = try l.run(rest)
        #expect(!r.allowed && r.conntrack == CT.fragment)
        #expect(r.decisions[1] == [0, 1, 2, 1], "the stateless verdict of the fragment itself allows")
        r = try l.run(orphan)
        #expect(r.allowed && r.conntrack == CT.new)
        // IPv6 addresses own no endpoint here: no points, allowed.
        r = try l.run(PacketBuilder.udp("fd00::1", 1, "fd00::2", 2))
        #expect(r.allowed && r.result.count == 0 && r.conntrack == CT.new)
        // Workload to its own host: DefaultEndpointToHostAction (Drop); host to local workload: not policed.
        r = try l.run(PacketBuilder.tcp(a, 40005, TwoPods.host, 22))
        #expect(!r.allowed && r.points.map(\.kind) == [0, 2] && r.points[1].allow == 0)
        r = try l.run(PacketBuilder.tcp(TwoPods.host, 40006, a, 22))
        #expect(r.allowed && r.points.map(\.kind) == [1] && r.points[0].endpoint == 0)

        // Hits: only packets that policy decided (NEW), allowed or not; Pass rules never count.
        #expect(try l.object.hits(TwoPods.ingressRules + 0) == 1)
        #expect(try l.object.hits(TwoPods.ingressRules + 1) == 0)
        #expect(try l.object.hits(TwoPods.ingressRules + 2) == 3)
        #expect(try l.object.hits(TwoPods.ingressRules + 3) == 3)
        #expect(try l.object.hits(eg) == 8)
    }

    @Test("endpoint mode enforces one endpoint's chains by hook")
    func endpointMode() throws {
        let l = try Loaded("vd_tc_egress")
        try TwoPods.write(to: l.object)
        try l.object.setConfig(mode: VD_MODE_ENDPOINT, endpoint: 1)
        let ingress = try l.object.program("vd_tc_ingress")
        // To b (TC egress of b's veth): b's ingress chain only.
        var r = try l.run(PacketBuilder.tcp(TwoPods.a, 1000, TwoPods.b, 8080).frame())
        #expect(!r.allowed && r.decisions == [[0, 1, 3, 0]])
        r = try l.run(PacketBuilder.tcp(TwoPods.a, 1001, TwoPods.b, 80).frame())
        #expect(r.allowed && r.decisions == [[0, 1, 0, 1]])
        // From b (TC ingress of b's veth): b's egress chain only, whatever the source address.
        let t = try ingress.testRun(PacketBuilder.tcp("203.0.113.1", 1002, TwoPods.a, 8080).frame())
        #expect(t.returnValue == 0)
        // Whoever sends: the same one point (BPFImageModel's endpoint mode).
        r = try l.run(PacketBuilder.tcp(TwoPods.host, 1003, TwoPods.b, 8080).frame())
        #expect(!r.allowed && r.decisions == [[0, 1, 3, 0]])
    }

    @Test("a switch of generation takes effect for the next packet")
    func generations() throws {
        let l = try Loaded("vd_xdp")
        try TwoPods.write(to: l.object)
        // Generation 1 holds the same addresses and endpoints but every chain empty: every
        // point finds no rule and denies.
        try l.object.putV4("0.0.0.0", prefix: 0, generation: 1, atom: 0, endpoint: VD_NONE)
        try l.object.putV4(TwoPods.a, prefix: 32, generation: 1, atom: 1, endpoint: 0)
        try l.object.putV4(TwoPods.b, prefix: 32, generation: 1, atom: 2, endpoint: 1)
        try l.object.map("vd_gen").update(key: UInt32(1), value: generation(endpoints: 3, nodes: 1, chains: [:]))
        let frame = PacketBuilder.udp(TwoPods.a, 1, TwoPods.b, 80).frame()
        let before = try l.run(frame)
        #expect(before.allowed && before.decisions == [[1, 0, 0, 1], [0, 1, 2, 1]])
        try l.object.setConfig(generation: 1)
        let after = try l.run(PacketBuilder.udp(TwoPods.a, 2, TwoPods.b, 80).frame())
        #expect(!after.allowed && after.decisions == [[1, 0, VD_NONE, 0], [0, 1, VD_NONE, 0]])
    }

    @Test("the TC object can share the XDP object's maps: one table, one conntrack")
    func sharedMaps() throws {
        let xdp = try Loaded("vd_xdp")
        try TwoPods.write(to: xdp.object)
        let tc = try BPFObject(bytes: BPFEmbedded.policyTC, name: "policy_tc")
        try tc.shareMaps(with: xdp.object)
        try tc.load()
        #expect(try tc.map("vd_rows").lookup(key: TwoPods.dportRows + 1, as: UInt64.self) == 0b1101)
        // A flow the XDP program opened is established for the TC program.
        #expect(try xdp.run(PacketBuilder.udp(TwoPods.a, 7000, TwoPods.b, 80)).conntrack == CT.new)
        let tcRun = Loaded(object: tc, program: try tc.program("vd_tc_ingress"), isXDP: false)
        let r = try tcRun.run(PacketBuilder.udp(TwoPods.b, 80, TwoPods.a, 7000))
        #expect(r.allowed && r.conntrack == CT.established)
        #expect(try tc.hits(TwoPods.ingressRules + 2) == 1, "hits are shared too")
    }

    @Test("TC with vd_replay_clock takes conntrack time from skb->tstamp")
    func replayClock() throws {
        let l = try Loaded("vd_tc_ingress") { try $0.setReadOnlyGlobal("vd_replay_clock", to: UInt32(1)) }
        try TwoPods.write(to: l.object)
        func at(_ seconds: UInt64) -> [UInt8] {
            var skb = __sk_buff()
            skb.tstamp = seconds * 1_000_000_000
            return withUnsafeBytes(of: skb) { Array($0) }
        }
        let out = PacketBuilder.udp(TwoPods.a, 5000, TwoPods.b, 80).frame()
        let back = PacketBuilder.udp(TwoPods.b, 80, TwoPods.a, 5000).frame()
        #expect(try l.run(out, context: at(1000)).conntrack == CT.new)
        #expect(try l.run(back, context: at(1029)).conntrack == CT.established)   // within UDP's 30 s
        #expect(try l.run(back, context: at(1148)).conntrack == CT.established)   // replied: 120 s
        #expect(try l.run(back, context: at(1269)).conntrack == CT.new)           // expired
    }
}
