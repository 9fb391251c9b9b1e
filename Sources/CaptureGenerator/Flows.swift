// Flow-shaped helpers: a whole TCP connection, a denied connection attempt with its retries, a
// UDP exchange, pings, ICMP errors quoting an earlier packet, and IPv4/IPv6 fragmentation.
//
// Every helper takes the policy verdict of the initiating direction (`forward`) and, where
// packets flow back, of the reverse direction (`reverse`), each with its reason: a reply's
// `policyVerdict` is what policy says about the reply as if it opened a connection of its own.

import Addresses
import Packets

/// The IP-layer options of a packet beyond its addresses.
struct IPOptions {
    var identification: UInt16 = 0
    var ttl: UInt8 = 64
    var dontFragment = false
    /// IPv4 fragment fields, for a single hand-made fragment (see ``Capture/ipv4Fragments(_:id:mtu:)``
    /// to split a datagram).
    var fragmentOffset: UInt16 = 0
    var moreFragments = false
    var ipv4Options: [UInt8] = []
    var ipv6Extensions: [PacketBuilder.IPv6ExtensionHeader] = []
    var hopLimit: UInt8 = 64

    static let plain = IPOptions()
}

extension Capture {
    // MARK: Single packets

    /// The network layer between two hosts.
    func network(_ src: Host, _ dst: Host, _ o: IPOptions = .plain) -> PacketBuilder.Network {
        precondition(src.isV6 == dst.isV6, "\(src) and \(dst) are of different families")
        if src.isV6 {
            return .ipv6(.init(src: src.address, dst: dst.address, hopLimit: o.hopLimit, extensionHeaders: o.ipv6Extensions))
        }
        return .ipv4(.init(src: src.address, dst: dst.address, ttl: o.ttl, identification: o.identification,
                           dontFragment: o.dontFragment, moreFragments: o.moreFragments, fragmentOffset: o.fragmentOffset,
                           options: o.ipv4Options))
    }

    /// A packet from `src` to `dst` with this capture's link (or `link`).
    func packet(_ src: Host, _ dst: Host, _ transport: PacketBuilder.Transport, payload: [UInt8] = [],
                ip: IPOptions = .plain, link: PacketBuilder.Link? = nil) -> PacketBuilder {
        PacketBuilder(link: link ?? self.link, network: network(src, dst, ip), transport: transport, payload: payload)
    }

    /// Appends one packet.
    func send(_ src: Host, _ dst: Host, _ transport: PacketBuilder.Transport, payload: [UInt8] = [], ip: IPOptions = .plain,
              link: PacketBuilder.Link? = nil, interface: Int = 0, _ expectation: Expectation, _ why: String) {
        add(packet(src, dst, transport, payload: payload, ip: ip, link: link), expectation, why, interface: interface,
            hosts: [src, dst])
    }

    /// Appends a TCP segment.
    func tcp(_ src: Host, _ sport: UInt16, _ dst: Host, _ dport: UInt16, _ flags: TCPFlags, seq: UInt32 = 0, ack: UInt32 = 0,
             payload: [UInt8] = [], ip: IPOptions = .plain, link: PacketBuilder.Link? = nil, interface: Int = 0,
             _ expectation: Expectation, _ why: String) {
        send(src, dst, .tcp(src: sport, dst: dport, flags: flags, seq: seq, ack: ack), payload: payload, ip: ip, link: link,
             interface: interface, expectation, why)
    }

    // MARK: TCP

    /// An initial sequence number, different per connection and the same on every run.
    func isn(_ port: UInt16, _ salt: UInt32 = 0) -> UInt32 {
        0x1000_0000 &+ UInt32(port) &* 0x0001_0001 &+ salt &* 0x0100_0000
    }

    /// A whole TCP connection that policy allows: SYN, SYN-ACK, ACK, request, response, ACK,
    /// FIN from each side and the last ACK (nine packets). The SYN is `new`; everything after it
    /// is `established`, with the forward policy on client packets and `reverse` on server packets.
    ///
    /// `clientIP`/`serverIP` add IP options or IPv6 extension headers to each side's packets;
    /// `replyLink`/`replyInterface` put the server's packets on another framing or interface.
    func tcpSession(_ client: Host, _ cport: UInt16, _ server: Host, _ sport: UInt16,
                    request: [UInt8], response: [UInt8], forward: Policy, reverse: Policy,
                    clientIP: IPOptions = .plain, serverIP: IPOptions = .plain,
                    link: PacketBuilder.Link? = nil, replyLink: PacketBuilder.Link? = nil,
                    interface: Int = 0, replyInterface: Int? = nil, _ why: String) {
        precondition(forward.verdict == .allow, "a session needs an allowed SYN: \(why)")
        let c = isn(cport), s = isn(sport, 7)
        let rq = UInt32(request.count), rs = UInt32(response.count)
        let rl = replyLink ?? link, ri = replyInterface ?? interface
        let fwd = Expectation.established(policy: forward.verdict)
        let rev = Expectation.established(policy: reverse.verdict)
        let back = "reply of the allowed flow (\(why)); policy alone: \(reverse.why)"
        let on = "later packet of the allowed flow (\(why))"
        tcp(client, cport, server, sport, .syn, seq: c, ip: clientIP, link: link, interface: interface,
            .new(.allow), "SYN: \(why): \(forward.why)")
        tcp(server, sport, client, cport, [.syn, .ack], seq: s, ack: c &+ 1, ip: serverIP, link: rl, interface: ri,
            rev, "SYN-ACK: \(back)")
        tcp(client, cport, server, sport, .ack, seq: c &+ 1, ack: s &+ 1, ip: clientIP, link: link, interface: interface,
            fwd, "ACK: \(on)")
        tcp(client, cport, server, sport, [.psh, .ack], seq: c &+ 1, ack: s &+ 1, payload: request, ip: clientIP, link: link,
            interface: interface, fwd, "request: \(on)")
        tcp(server, sport, client, cport, [.psh, .ack], seq: s &+ 1, ack: c &+ 1 &+ rq, payload: response, ip: serverIP, link: rl,
            interface: ri, rev, "response: \(back)")
        tcp(client, cport, server, sport, .ack, seq: c &+ 1 &+ rq, ack: s &+ 1 &+ rs, ip: clientIP, link: link, interface: interface,
            fwd, "ACK: \(on)")
        tcp(client, cport, server, sport, [.fin, .ack], seq: c &+ 1 &+ rq, ack: s &+ 1 &+ rs, ip: clientIP, link: link,
            interface: interface, fwd, "FIN: \(on)")
        tcp(server, sport, client, cport, [.fin, .ack], seq: s &+ 1 &+ rs, ack: c &+ 2 &+ rq, ip: serverIP, link: rl,
            interface: ri, rev, "FIN: \(back)")
        tcp(client, cport, server, sport, .ack, seq: c &+ 2 &+ rq, ack: s &+ 2 &+ rs, ip: clientIP, link: link, interface: interface,
            fwd, "last ACK: \(on)")
    }

    /// The three-way handshake of an allowed connection only.
    func tcpHandshake(_ client: Host, _ cport: UInt16, _ server: Host, _ sport: UInt16, forward: Policy, reverse: Policy,
                      clientIP: IPOptions = .plain, serverIP: IPOptions = .plain,
                      link: PacketBuilder.Link? = nil, replyLink: PacketBuilder.Link? = nil, _ why: String) {
        precondition(forward.verdict == .allow, "a handshake needs an allowed SYN: \(why)")
        let c = isn(cport), s = isn(sport, 7)
        tcp(client, cport, server, sport, .syn, seq: c, ip: clientIP, link: link, .new(.allow), "SYN: \(why): \(forward.why)")
        tcp(server, sport, client, cport, [.syn, .ack], seq: s, ack: c &+ 1, ip: serverIP, link: replyLink ?? link,
            .established(policy: reverse.verdict), "SYN-ACK: reply of the allowed flow (\(why)); policy alone: \(reverse.why)")
        tcp(client, cport, server, sport, .ack, seq: c &+ 1, ack: s &+ 1, ip: clientIP, link: link,
            .established(policy: .allow), "ACK: later packet of the allowed flow (\(why))")
    }

    /// A connection attempt that policy denies: the SYN and its retransmissions after 1 s, 2 s,
    /// 4 s (Linux's doubling RTO), each `new` again because a denied packet creates no entry.
    func tcpDenied(_ client: Host, _ cport: UInt16, _ server: Host, _ sport: UInt16, tries: Int = 3, policy: Policy,
                   ip: IPOptions = .plain, link: PacketBuilder.Link? = nil, interface: Int = 0, _ why: String) {
        precondition(policy.verdict == .deny, "tcpDenied with an allowing policy: \(why)")
        let c = isn(cport)
        for i in 0..<tries {
            if i > 0 { wait(seconds: Double(1 << (i - 1))) }
            tcp(client, cport, server, sport, .syn, seq: c, ip: ip, link: link, interface: interface, .new(.deny),
                "\(i == 0 ? "SYN" : "SYN retransmission \(i)"): \(why): \(policy.why)")
        }
    }

    // MARK: UDP

    /// A request and its response. The request is `new` with the forward verdict; when that
    /// allows, the response is `established` (else it is a `new` flow of its own, judged by
    /// `reverse`).
    func udpExchange(_ client: Host, _ cport: UInt16, _ server: Host, _ sport: UInt16, request: [UInt8], response: [UInt8],
                     forward: Policy, reverse: Policy, clientIP: IPOptions = .plain, serverIP: IPOptions = .plain,
                     link: PacketBuilder.Link? = nil, replyLink: PacketBuilder.Link? = nil,
                     interface: Int = 0, replyInterface: Int? = nil, _ why: String) {
        send(client, server, .udp(src: cport, dst: sport), payload: request, ip: clientIP, link: link, interface: interface,
             .new(forward.verdict), "request: \(why): \(forward.why)")
        let replyExpectation: Expectation = forward.verdict == .allow
            ? .established(policy: reverse.verdict) : .new(reverse.verdict)
        let replyWhy = forward.verdict == .allow
            ? "response: reply of the allowed flow (\(why)); policy alone: \(reverse.why)"
            : "response to a denied request: no entry exists, so it is a new flow: \(reverse.why)"
        send(server, client, .udp(src: sport, dst: cport), payload: response, ip: serverIP, link: replyLink ?? link,
             interface: replyInterface ?? interface, replyExpectation, replyWhy)
    }

    /// A UDP request that policy denies, retried after 5 s (the resolver's default timeout).
    func udpDenied(_ client: Host, _ cport: UInt16, _ server: Host, _ sport: UInt16, request: [UInt8], tries: Int = 2,
                   policy: Policy, link: PacketBuilder.Link? = nil, _ why: String) {
        precondition(policy.verdict == .deny, "udpDenied with an allowing policy: \(why)")
        for i in 0..<tries {
            if i > 0 { wait(seconds: 5) }
            send(client, server, .udp(src: cport, dst: sport), payload: request, link: link, .new(.deny),
                 "\(i == 0 ? "request" : "retry \(i)"): \(why): \(policy.why)")
        }
    }

    // MARK: ICMP

    /// `count` echo requests with their replies when `forward` allows; the first request is
    /// `new`, the rest of the exchange `established`. When `forward` denies, only the requests
    /// (one a second), each `new` and denied.
    func ping(_ src: Host, _ dst: Host, id: UInt16, count: Int = 2, forward: Policy, reverse: Policy? = nil,
              ip: IPOptions = .plain, replyIP: IPOptions = .plain, link: PacketBuilder.Link? = nil,
              replyLink: PacketBuilder.Link? = nil, interface: Int = 0, replyInterface: Int? = nil, _ why: String) {
        for i in 0..<count {
            let seq = UInt16(i + 1)
            if forward.verdict == .deny {
                if i > 0 { wait(seconds: 1) }
                send(src, dst, .icmpEcho(request: true, id: id, sequence: seq), payload: Payload.ping, ip: ip, link: link,
                     interface: interface, .new(.deny), "echo request \(seq): \(why): \(forward.why)")
                continue
            }
            guard let reverse else { preconditionFailure("an allowed ping needs the reply's policy: \(why)") }
            send(src, dst, .icmpEcho(request: true, id: id, sequence: seq), payload: Payload.ping, ip: ip, link: link,
                 interface: interface, i == 0 ? .new(.allow) : .established(policy: .allow),
                 i == 0 ? "echo request: \(why): \(forward.why)" : "echo request \(seq): same identifier, the flow exists (\(why))")
            send(dst, src, .icmpEcho(request: false, id: id, sequence: seq), payload: Payload.ping, ip: replyIP,
                 link: replyLink ?? link, interface: replyInterface ?? interface, .established(policy: reverse.verdict),
                 "echo reply \(seq): reply of the allowed echo (\(why)); policy alone: \(reverse.why)")
        }
    }

    /// An ICMP or ICMPv6 error from `src` to `dst` quoting `quoted` (cut as a router would: the IPv4
    /// header plus 8 bytes, RFC 792; for IPv6 as much as fits in 1232 bytes, RFC 4443).
    func icmpError(_ src: Host, _ dst: Host, type: UInt8, code: UInt8, quoting quoted: PacketBuilder, rest: UInt32 = 0,
                   ip: IPOptions = .plain, link: PacketBuilder.Link? = nil, interface: Int = 0,
                   _ expectation: Expectation, _ why: String) {
        let bytes = quoted.ipPacket()
        let cut: [UInt8]
        if src.isV6 {
            cut = Array(bytes.prefix(1232))
        } else {
            cut = Array(bytes.prefix(Int(bytes[0] & 0x0F) * 4 + 8))
        }
        send(src, dst, .icmpError(type: type, code: code, quoting: cut, rest: rest), ip: ip, link: link, interface: interface,
             expectation, why)
    }

    // MARK: Fragmentation

    /// Splits an IPv4 datagram into fragments whose IP packets are at most `mtu` bytes, with
    /// identification `id`, in order (first fragment first).
    func ipv4Fragments(_ b: PacketBuilder, id: UInt16, mtu: Int = 1500) -> [PacketBuilder] {
        guard case var .ipv4(header) = b.network else { preconditionFailure("not IPv4") }
        precondition(header.options.isEmpty, "fragmenting with IPv4 options is not needed here (RFC 791 copy rules)")
        let whole = b.ipPacket()
        let ihl = Int(whole[0] & 0x0F) * 4
        let proto = whole[9]
        let data = Array(whole[ihl...])
        let step = (mtu - ihl) / 8 * 8
        var out: [PacketBuilder] = []
        var offset = 0
        while offset < data.count {
            let piece = Array(data[offset..<min(offset + step, data.count)])
            header.identification = id
            header.fragmentOffset = UInt16(offset / 8)
            header.moreFragments = offset + step < data.count
            out.append(PacketBuilder(link: b.link, network: .ipv4(header), transport: .other(protocol: proto, bytes: piece)))
            offset += step
        }
        return out
    }

    /// Splits an IPv6 packet into fragments of at most `mtu` bytes. The first `unfragmentable`
    /// extension headers of `b` stay in every fragment, before the fragment header; the rest
    /// (and the upper-layer header) are the fragmentable part, as RFC 8200 §4.5 describes.
    func ipv6Fragments(_ b: PacketBuilder, id: UInt32, unfragmentable: Int = 0, mtu: Int = 1280) -> [PacketBuilder] {
        guard case let .ipv6(header) = b.network else { preconditionFailure("not IPv6") }
        let whole = b.ipPacket()
        var next = whole[6]
        var at = 40
        for _ in 0..<unfragmentable {
            next = whole[at]
            at += (Int(whole[at + 1]) + 1) * 8
        }
        let data = Array(whole[at...])
        let keep = Array(header.extensionHeaders.prefix(unfragmentable))
        let step = (mtu - at - 8) / 8 * 8
        var out: [PacketBuilder] = []
        var offset = 0
        while offset < data.count {
            let piece = Array(data[offset..<min(offset + step, data.count)])
            var h = header
            h.extensionHeaders = keep + [.fragment(offset: UInt16(offset / 8), moreFragments: offset + step < data.count,
                                                   identification: id)]
            out.append(PacketBuilder(link: b.link, network: .ipv6(h), transport: .other(protocol: next, bytes: piece)))
            offset += step
        }
        return out
    }
}
