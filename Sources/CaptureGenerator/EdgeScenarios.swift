// Edge cases against captures/policies/edge: VLAN tags, IPv6 extension headers, fragments,
// snapshot-length cuts, pcapng interfaces, Linux cooked/raw/loopback framings, and connection
// tracking corner cases. The policy set, in words (captures/policies/edge/policies.yaml):
// server accepts TCP 80/443, UDP 53, ICMP echo and ICMPv6 echo from client only; client accepts
// nothing; other has no policy; egress is open everywhere.

import Packets

enum Edge {
    static let policies = ["captures/policies/edge"]

    static let client = Host("10.1.0.10", "edge/client")
    static let server = Host("10.1.0.20", "edge/server")
    static let other = Host("10.1.0.30", "edge/other")
    static let client6 = Host("fd00:1::10", "edge/client")
    static let server6 = Host("fd00:1::20", "edge/server")
    static let other6 = Host("fd00:1::30", "edge/other")
    static let outside = Host("198.51.100.7", nil)
    static let router = Host("10.1.0.1", nil)
    static let router6 = Host("fd00:1::1", nil)

    // What policy says, with the reason, for the directions the captures use.
    static let toServer = allow("server ingress: server-ingress admits TCP 80/443 from app == 'client' (client egress has no policy)")
    static let dnsToServer = allow("server ingress: server-ingress admits UDP 53 from app == 'client'")
    static let pingToServer = allow("server ingress: server-ingress admits ICMP type 8 / ICMPv6 type 128 from app == 'client'")
    static let toClient = deny("client ingress: client-isolation selects client with no rules")
    static let notClient = deny("server ingress: only app == 'client' is admitted")
    static let wrongPort = deny("server ingress: no server-ingress rule for that port or protocol, end of tier")
    static let open = allow("no policy on either side: client/other/outside egress and other's ingress are open")
    static let fragmentToServer = deny("server ingress: every server-ingress rule has ports or an ICMP type, which a non-first fragment cannot match (SEMANTICS §7.7)")

    static func http(_ path: String = "/") -> (request: [UInt8], response: [UInt8]) {
        (Payload.httpGet(host: "server.edge", path: path), Payload.httpResponse("edge server \(path)\n"))
    }

    static func dns(_ id: UInt16, _ name: String = "server.edge.svc.cluster.local", answer: String = "10.96.1.20") -> (query: [UInt8], response: [UInt8]) {
        (Payload.dnsQuery(id: id, name: name), Payload.dnsResponse(id: id, name: name, answers: [answer]))
    }

    static func arp(_ sender: Host, asks target: Host) -> PacketBuilder.Network {
        var b: [UInt8] = [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
        b += PacketBuilder.sourceMAC + sender.address.bytes + [0, 0, 0, 0, 0, 0] + target.address.bytes
        return .other(etherType: 0x0806, bytes: b)
    }

    // MARK: VLAN

    static func vlan() -> Capture {
        let c = Capture("vlan", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(), policies: policies,
                        summary: "802.1Q, 802.1ad QinQ, legacy 0x9100 QinQ, triple tags and priority tags around IPv4 and IPv6; an ARP frame "
                            + "in a VLAN and an untagged LLDP frame are unparsed (not IP)")
        let v100 = PacketBuilder.Link.ethernet(vlans: [.dot1Q(100)])
        let qinq = PacketBuilder.Link.ethernet(vlans: [.dot1ad(200), .dot1Q(100)])
        let legacy = PacketBuilder.Link.ethernet(vlans: [.init(id: 300, tpid: 0x9100), .dot1Q(30)])
        let priority = PacketBuilder.Link.ethernet(vlans: [.init(id: 0, priority: 5)])
        let triple = PacketBuilder.Link.ethernet(vlans: [.dot1ad(10), .dot1Q(20), .dot1Q(30)])
        let h = http()
        c.tcpSession(client, 40000, server, 80, request: h.request, response: h.response, forward: toServer, reverse: toClient,
                     link: v100, "client → server:80 in VLAN 100")
        let d = dns(0x3C01)
        c.udpExchange(client, 40001, server, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      link: qinq, "client → server UDP 53 under QinQ 200/100")
        c.tcpDenied(other, 40002, server, 22, tries: 2, policy: notClient, link: qinq, "other → server:22 under QinQ")
        c.tcpHandshake(client, 40003, other, 8080, forward: open, reverse: toClient, link: legacy,
                       "client → other:8080 under legacy 0x9100 QinQ 300/30")
        c.ping(client, server, id: 0x0401, count: 1, forward: pingToServer, reverse: toClient, link: priority,
               "client pings server in a priority-tagged frame (VLAN 0, PCP 5)")
        c.tcpHandshake(client6, 40004, server6, 443, forward: toServer, reverse: toClient, link: v100,
                       "client → server:443 over IPv6 in VLAN 100")
        c.add(PacketBuilder(link: v100, network: arp(client, asks: server), transport: .other(protocol: 0)),
              .unparsed(reason: "not-ip"), "ARP request in VLAN 100: not IP")
        let d2 = dns(0x3C02)
        c.udpExchange(client, 40005, server, 53, request: d2.query, response: d2.response, forward: dnsToServer, reverse: toClient,
                      link: triple, "client → server UDP 53 under three tags 10/20/30")
        let lldp: [UInt8] = [0x02, 0x07, 0x04] + PacketBuilder.sourceMAC + [0x04, 0x05, 0x05] + Array("eth0".utf8)
            + [0x06, 0x02, 0x00, 0x78, 0x00, 0x00]
        c.add(PacketBuilder(link: .ethernet(destination: [0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E]),
                            network: .other(etherType: 0x88CC, bytes: lldp), transport: .other(protocol: 0)),
              .unparsed(reason: "not-ip"), "LLDP frame: not IP")
        return c
    }

    // MARK: IPv6 extension headers

    static func ipv6ExtensionHeaders() -> Capture {
        let c = Capture("ipv6-exthdr", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(), policies: policies,
                        summary: "IPv6 hop-by-hop, routing, destination-options, fragment, AH and ESP headers: flows classify on the final "
                            + "protocol; fragments, atomic fragments, an ICMPv6 error quoting extension headers, and nine headers (unparsed)")
        let hbh = IPOptions(ipv6Extensions: [.hopByHop()])
        c.tcpHandshake(client6, 41000, server6, 80, forward: toServer, reverse: toClient, clientIP: hbh,
                       "client → server:80 with a hop-by-hop header on client packets")
        let rh = IPOptions(ipv6Extensions: [.routing(type: 2, segmentsLeft: 0, addresses: [client6.address])])
        c.tcpHandshake(client6, 41001, server6, 443, forward: toServer, reverse: toClient, clientIP: rh,
                       "client → server:443 with a type 2 routing header (segments left 0)")
        c.tcpDenied(client6, 41002, server6, 22, tries: 2, policy: wrongPort,
                    ip: IPOptions(ipv6Extensions: [.destinationOptions()]), "client → server:22 with destination options")
        // A query behind three headers, answered by an ICMPv6 error that quotes them all.
        let chain = IPOptions(ipv6Extensions: [.hopByHop(), .routing(type: 2, segmentsLeft: 0, addresses: [client6.address]),
                                               .destinationOptions(optionBytes: 14)])
        let d = dns(0x3D01)
        let query = c.packet(client6, server6, .udp(src: 41003, dst: 53), payload: d.query, ip: chain)
        c.add(query, .new(.allow), "client → server UDP 53 behind hop-by-hop, routing and destination options: \(dnsToServer.why)",
              hosts: [client6, server6])
        c.icmpError(server6, client6, type: 1, code: 4, quoting: query, .related(policy: .deny),
                    "ICMPv6 port unreachable quoting the query with its extension headers: RELATED; policy alone: \(toClient.why)")
        c.udpExchange(client6, 41004, server6, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      clientIP: IPOptions(ipv6Extensions: [.destinationOptions()]), "client → server UDP 53 with destination options")
        // Fragments: the fragment header alone, then with a hop-by-hop header before it and
        // destination options after it (part of the fragmentable part, RFC 8200 §4.5).
        let big = c.packet(client6, server6, .udp(src: 41005, dst: 53), payload: Payload.largeDNS(id: 0x3D02, size: 2000))
        let f1 = c.ipv6Fragments(big, id: 0x0000_3D02)
        c.add(f1[0], .new(.allow), "first fragment (ports present) client → server UDP 53: \(dnsToServer.why)", hosts: [client6, server6])
        c.add(f1[1], .fragment(.allow, policy: .deny), "second fragment: takes the first fragment's verdict; policy alone: \(fragmentToServer.why)")
        let big2 = c.packet(client6, server6, .udp(src: 41006, dst: 53), payload: Payload.largeDNS(id: 0x3D03, size: 2000),
                            ip: IPOptions(ipv6Extensions: [.hopByHop(), .destinationOptions()]))
        let f2 = c.ipv6Fragments(big2, id: 0x0000_3D03, unfragmentable: 1)
        c.add(f2[0], .new(.allow), "first fragment (hop-by-hop | fragment | destination options | UDP) client → server UDP 53: \(dnsToServer.why)",
              hosts: [client6, server6])
        c.add(f2[1], .fragment(.allow, policy: .deny),
              "second fragment (hop-by-hop | fragment, next header 60): same datagram (source, destination, identification), takes its verdict; "
                  + "policy alone: \(fragmentToServer.why)")
        c.send(client6, server6, .udp(src: 41007, dst: 53), payload: d.query,
               ip: IPOptions(ipv6Extensions: [.fragment(offset: 0, moreFragments: false, identification: 0x3D04)]),
               .new(.allow), "atomic fragment (offset 0, M clear): a whole packet, RFC 6946; \(dnsToServer.why)")
        c.send(client6, server6, .other(protocol: 17, bytes: Payload.pattern(64)),
               ip: IPOptions(ipv6Extensions: [.fragment(offset: 185, moreFragments: false, identification: 0x3D05)]),
               .new(.deny), "non-first fragment whose first fragment was never seen: stateless verdict; \(fragmentToServer.why)")
        c.tcpHandshake(client6, 41008, server6, 80, forward: toServer, reverse: toClient,
                       clientIP: IPOptions(ipv6Extensions: [.authentication()]), "client → server:80 under an authentication header")
        c.send(client6, other6, .esp(spi: 0x1001), payload: Payload.pattern(48), .new(.allow), "ESP client → other: \(open.why)")
        c.send(client6, server6, .esp(spi: 0x1002), payload: Payload.pattern(48), .new(.deny), "ESP client → server: \(wrongPort.why)")
        c.ping(client6, server6, id: 0x0501, count: 1, forward: pingToServer, reverse: toClient,
               ip: IPOptions(ipv6Extensions: [.destinationOptions()]), "client pings server with destination options")
        let eight = IPOptions(ipv6Extensions: Array(repeating: .destinationOptions(), count: 8))
        c.send(client6, other6, .udp(src: 41009, dst: 5000), payload: Payload.pattern(16), ip: eight, .new(.allow),
               "eight destination-options headers (the parser's limit): parsed; \(open.why)")
        let nine = IPOptions(ipv6Extensions: Array(repeating: .destinationOptions(), count: 9))
        c.send(client6, other6, .udp(src: 41010, dst: 5000), payload: Payload.pattern(16), ip: nine,
               .unparsed(reason: "too-many-extension-headers"), "nine extension headers: more than the parser walks")
        return c
    }

    // MARK: IPv4 fragments

    static func ipv4Fragments() -> Capture {
        let c = Capture("ipv4-fragments", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(), policies: policies,
                        summary: "IPv4 fragments: non-first fragments take their datagram's verdict (keyed by source, destination, protocol, "
                            + "IP ID), orphans and early arrivals get the stateless verdict without ports; IPv4 options")
        let d = dns(0x3E01)
        c.send(client, server, .udp(src: 42000, dst: 53), payload: d.query, .new(.allow), "client → server UDP 53 query: \(dnsToServer.why)")
        let answer = c.packet(server, client, .udp(src: 53, dst: 42000), payload: Payload.largeDNS(id: 0x3E01, size: 3000))
        let a = c.ipv4Fragments(answer, id: 0x1001)
        c.add(a[0], .established(policy: .deny), "first fragment of the 3000-byte answer: reply of the allowed flow; policy alone: \(toClient.why)",
              hosts: [server, client])
        for f in a.dropFirst() {
            c.add(f, .fragment(.allow, policy: .deny), "later fragment of the answer: takes the first fragment's verdict; policy alone: \(toClient.why)")
        }
        let update = c.ipv4Fragments(c.packet(client, server, .udp(src: 42001, dst: 53), payload: Payload.largeDNS(id: 0x3E02, size: 2000)),
                                     id: 0x1002)
        c.add(update[0], .new(.allow), "first fragment client → server UDP 53 (2000 bytes): \(dnsToServer.why)")
        c.add(update[1], .fragment(.allow, policy: .deny), "second fragment: the datagram's verdict; policy alone: \(fragmentToServer.why)")
        let bad = c.ipv4Fragments(c.packet(client, server, .udp(src: 42002, dst: 9999), payload: Payload.pattern(2000)), id: 0x1003)
        c.add(bad[0], .new(.deny), "first fragment client → server UDP 9999: \(wrongPort.why)")
        c.add(bad[1], .fragment(.deny, policy: .deny), "second fragment: the datagram was denied; policy alone: \(fragmentToServer.why)")
        let toOther = c.ipv4Fragments(c.packet(client, other, .udp(src: 42003, dst: 5000), payload: Payload.pattern(2000)), id: 0x1004)
        c.add(toOther[0], .new(.allow), "first fragment client → other UDP 5000: \(open.why)", hosts: [client, other])
        c.add(toOther[1], .fragment(.allow, policy: .allow), "second fragment: the datagram's verdict; policy alone: \(open.why)")
        // One IP ID, two destinations: two datagrams.
        let s = c.ipv4Fragments(c.packet(client, server, .udp(src: 42004, dst: 9999), payload: Payload.pattern(2000)), id: 0x2222)
        let o = c.ipv4Fragments(c.packet(client, other, .udp(src: 42005, dst: 5001), payload: Payload.pattern(2000)), id: 0x2222)
        c.add(s[0], .new(.deny), "first fragment, IP ID 0x2222, client → server UDP 9999: \(wrongPort.why)")
        c.add(o[0], .new(.allow), "first fragment, same IP ID, client → other UDP 5001: \(open.why)")
        c.add(o[1], .fragment(.allow, policy: .allow), "second fragment to other: its own datagram (the destination differs); \(open.why)")
        c.add(s[1], .fragment(.deny, policy: .deny), "second fragment to server: its own datagram, denied; \(fragmentToServer.why)")
        // One IP ID, same addresses, two protocols: two datagrams.
        let u = c.ipv4Fragments(c.packet(client, server, .udp(src: 42006, dst: 53), payload: Payload.largeDNS(id: 0x3E03, size: 2000)),
                                id: 0x4444)
        let gre = c.ipv4Fragments(c.packet(client, server, .other(protocol: 47, bytes: [0x00, 0x00, 0x08, 0x00] + Payload.pattern(2000))),
                                  id: 0x4444)
        c.add(u[0], .new(.allow), "first fragment, IP ID 0x4444, UDP 53: \(dnsToServer.why)")
        c.add(gre[0], .new(.deny), "first fragment, same IP ID and addresses, GRE: \(wrongPort.why)")
        c.add(gre[1], .fragment(.deny, policy: .deny), "second GRE fragment: the GRE datagram was denied; \(fragmentToServer.why)")
        c.add(u[1], .fragment(.allow, policy: .deny), "second UDP fragment: the UDP datagram was allowed; policy alone: \(fragmentToServer.why)")
        // Orphans: the first fragment never comes.
        c.send(client, server, .other(protocol: 17, bytes: Payload.pattern(400)),
               ip: IPOptions(identification: 0x5555, fragmentOffset: 100), .new(.deny),
               "orphan fragment (offset 800, last) to server: its first fragment never came, stateless; \(fragmentToServer.why)")
        c.send(client, other, .other(protocol: 17, bytes: Payload.pattern(400)),
               ip: IPOptions(identification: 0x5556, fragmentOffset: 100, moreFragments: true), .new(.allow),
               "orphan fragment (offset 800, more to come) to other: stateless; \(open.why)")
        // The first fragment arrives last but one: the fragment before it is judged alone.
        let late = c.ipv4Fragments(c.packet(client, server, .udp(src: 42007, dst: 53), payload: Payload.largeDNS(id: 0x3E04, size: 3000)),
                                   id: 0x6666)
        c.add(late[2], .new(.deny), "last fragment arrives before the first: no first fragment seen yet, stateless; \(fragmentToServer.why)")
        c.add(late[0], .new(.allow), "first fragment: \(dnsToServer.why)")
        c.add(late[1], .fragment(.allow, policy: .deny), "middle fragment after the first: the datagram's verdict; policy alone: \(fragmentToServer.why)")
        // A TCP segment fragmented on an established connection.
        c.tcpHandshake(client, 42008, server, 80, forward: toServer, reverse: toClient, "client → server:80")
        let post = Array("POST /upload HTTP/1.1\r\nHost: server.edge\r\nContent-Length: 1900\r\n\r\n".utf8) + Payload.pattern(1900)
        let seg = c.ipv4Fragments(c.packet(client, server, .tcp(src: 42008, dst: 80, flags: [.psh, .ack], seq: c.isn(42008) &+ 1,
                                                                ack: c.isn(80, 7) &+ 1), payload: post), id: 0x7777)
        c.add(seg[0], .established(policy: .allow), "first fragment of the POST: part of the allowed flow")
        c.add(seg[1], .fragment(.allow, policy: .deny), "second fragment of the POST: the datagram's verdict; policy alone: \(fragmentToServer.why)")
        c.tcp(server, 80, client, 42008, .ack, seq: c.isn(80, 7) &+ 1, ack: c.isn(42008) &+ 1 &+ UInt32(post.count),
              .established(policy: .deny), "server's ACK: reply of the allowed flow; policy alone: \(toClient.why)")
        // A large ping, fragmented both ways.
        let ping = c.ipv4Fragments(c.packet(client, server, .icmpEcho(request: true, id: 0x0601, sequence: 1), payload: Payload.pattern(2000)),
                                   id: 0x8888)
        let pong = c.ipv4Fragments(c.packet(server, client, .icmpEcho(request: false, id: 0x0601, sequence: 1), payload: Payload.pattern(2000)),
                                   id: 0x9999)
        c.add(ping[0], .new(.allow), "first fragment of a 2000-byte echo request: \(pingToServer.why)")
        c.add(ping[1], .fragment(.allow, policy: .deny), "second fragment: the datagram's verdict; policy alone: \(fragmentToServer.why)")
        c.add(pong[0], .established(policy: .deny), "first fragment of the echo reply: reply of the allowed echo; policy alone: \(toClient.why)")
        c.add(pong[1], .fragment(.allow, policy: .deny), "second fragment of the reply: the datagram's verdict; policy alone: \(toClient.why)")
        // IPv4 options (Router Alert) do not hide the ports.
        c.tcpHandshake(client, 42009, server, 443, forward: toServer, reverse: toClient,
                       clientIP: IPOptions(ipv4Options: [0x94, 0x04, 0x00, 0x00]), "client → server:443 with a Router Alert option")
        return c
    }

    // MARK: Snapshot length

    static func truncated() -> Capture {
        let c = Capture("truncated", format: .pcap(.ethernet, snaplen: 68), link: .ethernet(), policies: policies,
                        summary: "snapshot length 68 (old tcpdump's default): packets cut after their L4 header classify, packets cut inside "
                            + "it (IPv6+TCP, long IPv4 options, a fragment header) are unparsed truncated-l4, cut extension headers truncated-l3")
        let h = http()
        c.tcpSession(client, 43000, server, 80, request: h.request, response: h.response, forward: toServer, reverse: toClient,
                     "client → server:80, payloads cut but every TCP header whole (54 bytes)")
        for (i, flags) in [TCPFlags.syn, [.syn, .ack], .ack].enumerated() {
            let fromClient = i != 1
            c.tcp(fromClient ? client6 : server6, fromClient ? 43001 : 443, fromClient ? server6 : client6, fromClient ? 443 : 43001,
                  flags, .unparsed(reason: "truncated-l4"), "IPv6 TCP: 74 bytes of headers, cut at 68 inside the TCP header")
        }
        let d = dns(0x3F01)
        c.udpExchange(client6, 43002, server6, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      "IPv6 UDP: 62 bytes of headers, whole")
        let rr20: [UInt8] = [0x07, 19, 4] + Array(repeating: 0, count: 16) + [0]
        c.tcp(client, 43003, server, 443, .syn, ip: IPOptions(ipv4Options: rr20), .unparsed(reason: "truncated-l4"),
              "IPv4 with 20 bytes of options (record route): the TCP header is cut")
        let rr40: [UInt8] = [0x07, 39, 4] + Array(repeating: 0, count: 36) + [0]
        c.tcp(client, 43004, server, 443, .syn, ip: IPOptions(ipv4Options: rr40), .unparsed(reason: "truncated-l3"),
              "IPv4 with 40 bytes of options: the IP header itself is cut")
        c.send(client6, server6, .udp(src: 43005, dst: 53), payload: d.query,
               ip: IPOptions(ipv6Extensions: [.hopByHop(), .destinationOptions(optionBytes: 14)]), .unparsed(reason: "truncated-l3"),
               "IPv6 with hop-by-hop and 16 bytes of destination options: an extension header is cut")
        c.tcpDenied(other, 43006, server, 22, tries: 2, policy: notClient, link: .ethernet(vlans: [.dot1Q(100)]),
                    "802.1Q + IPv4 + TCP: 58 bytes, whole")
        c.tcpHandshake(client, 43007, other, 8080, forward: open, reverse: toClient,
                       link: .ethernet(vlans: [.dot1ad(200), .dot1Q(100)]), "QinQ + IPv4 + TCP: 62 bytes, whole")
        let query = c.packet(client, server, .udp(src: 43008, dst: 53), payload: d.query)
        c.add(query, .new(.allow), "client → server UDP 53: \(dnsToServer.why)", hosts: [client, server])
        c.icmpError(server, client, type: 3, code: 3, quoting: query, .related(policy: .deny),
                    "port unreachable, cut at 68 bytes: the quoted IP header and ports survive, so it is RELATED; policy alone: \(toClient.why)")
        c.ping(client, server, id: 0x0701, count: 1, forward: pingToServer, reverse: toClient,
               "client pings server with 56 data bytes (cut)")
        let frag6 = c.ipv6Fragments(c.packet(client6, server6, .udp(src: 43009, dst: 53), payload: Payload.largeDNS(id: 0x3F02, size: 2000)),
                                    id: 0x3F02)
        c.add(frag6[0], .unparsed(reason: "truncated-l4"), "IPv6 first fragment: 70 bytes of headers, the UDP header is cut")
        c.add(frag6[1], .new(.deny),
              "IPv6 second fragment: its first fragment could not be parsed, so it is judged alone; \(fragmentToServer.why)")
        let frag4 = c.ipv4Fragments(c.packet(client, other, .udp(src: 43010, dst: 5000), payload: Payload.pattern(2000)), id: 0x3F03)
        c.add(frag4[0], .new(.allow), "IPv4 first fragment client → other (42 bytes of headers): \(open.why)", hosts: [client, other])
        c.add(frag4[1], .fragment(.allow, policy: .allow), "IPv4 second fragment, cut: needs no L4 header; the datagram's verdict")
        return c
    }

    // MARK: pcapng interfaces

    static func multiInterface() -> Capture {
        let c = Capture("multi-interface",
                        format: .pcapng([.init(linkType: .ethernet, name: "eth0"), .init(linkType: .ethernet, name: "eth1")]),
                        link: .ethernet(), policies: policies,
                        summary: "pcapng with two Ethernet interfaces (eth0, eth1) and asymmetric paths: a flow's request on one interface and "
                            + "its reply on the other still match one conntrack entry")
        let h = http()
        c.tcpSession(client, 44000, server, 80, request: h.request, response: h.response, forward: toServer, reverse: toClient,
                     interface: 0, replyInterface: 1, "client → server:80, requests on eth0, replies on eth1")
        c.tcpDenied(other, 44001, server, 22, tries: 2, policy: notClient, interface: 1, "other → server:22 on eth1")
        let d = dns(0x4001)
        c.udpExchange(client, 44002, server, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      interface: 1, replyInterface: 0, "client → server UDP 53, query on eth1, answer on eth0")
        c.ping(client6, server6, id: 0x0801, count: 2, forward: pingToServer, reverse: toClient, interface: 0, replyInterface: 1,
               "client pings server over IPv6, requests on eth0, replies on eth1")
        c.tcpHandshake(client, 44003, other, 8080, forward: open, reverse: toClient, "client → other:8080 on eth0")
        return c
    }

    static func mixedLinkTypes() -> Capture {
        let c = Capture("mixed-link-types",
                        format: .pcapng([.init(linkType: .ethernet, name: "eth0"), .init(linkType: .raw, name: "tun0", beforePacket: 2)]),
                        link: .ethernet(), policies: policies,
                        summary: "pcapng whose second interface (raw IP, declared after two packets) differs from the first (Ethernet): "
                            + "libpcap reads one link type per file, so replay delivers the first two packets and then refuses the file (exit 2)")
        c.expectError = .init(exitCode: 2, message: "pcapng interfaces have different link types")
        c.tcp(client, 45000, server, 80, .syn, seq: c.isn(45000), .new(.allow), "SYN on eth0: \(toServer.why)")
        c.tcp(server, 80, client, 45000, [.syn, .ack], seq: c.isn(80, 7), ack: c.isn(45000) &+ 1, .established(policy: .deny),
              "SYN-ACK on eth0: reply of the allowed flow; policy alone: \(toClient.why)")
        c.send(client, other, .udp(src: 45001, dst: 5000), payload: Payload.pattern(32), link: .raw, interface: 1,
               .new(.allow), "on tun0 (raw IP): never delivered, replay stops at tun0's interface description")
        c.tcp(client, 45000, server, 80, .ack, seq: c.isn(45000) &+ 1, ack: c.isn(80, 7) &+ 1, .established(policy: .allow),
              "ACK on eth0: never delivered")
        return c
    }

    // MARK: Link types

    /// The same small conversation on one framing: an allowed TCP connection, a denied one, a UDP
    /// exchange over IPv6, a ping, and one frame that is not IP.
    static func linkTypeConversation(_ c: Capture, out: PacketBuilder.Link, in back: PacketBuilder.Link,
                                     notIP: (PacketBuilder, String)) {
        let h = http()
        c.tcpSession(client, 46000, server, 80, request: h.request, response: h.response, forward: toServer, reverse: toClient,
                     link: out, replyLink: back, "client → server:80")
        c.tcpDenied(other, 46001, server, 22, tries: 2, policy: notClient, link: back, "other → server:22")
        let d = dns(0x4101)
        c.udpExchange(client6, 46002, server6, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      link: out, replyLink: back, "client → server UDP 53 over IPv6")
        c.ping(client, server, id: 0x0901, count: 1, forward: pingToServer, reverse: toClient, link: out, replyLink: back,
               "client pings server")
        c.add(notIP.0, .unparsed(reason: "not-ip"), notIP.1)
    }

    static func linuxSLL() -> Capture {
        let c = Capture("linux-sll", format: .pcap(.linuxSLL, snaplen: 262_144), link: .linuxSLL(), policies: policies,
                        summary: "Linux cooked capture v1 (tcpdump -i any): outgoing and incoming packet types, IPv4 and IPv6, an ARP frame unparsed")
        let out = PacketBuilder.Link.linuxSLL(packetType: 4)
        let back = PacketBuilder.Link.linuxSLL(packetType: 0, address: PacketBuilder.destinationMAC)
        linkTypeConversation(c, out: out, in: back,
                             notIP: (PacketBuilder(link: out, network: arp(client, asks: server), transport: .other(protocol: 0)),
                                     "ARP request (SLL protocol 0x0806): not IP"))
        return c
    }

    static func linuxSLL2() -> Capture {
        let c = Capture("linux-sll2", format: .pcap(.linuxSLL2, snaplen: 262_144), link: .linuxSLL2(), policies: policies,
                        summary: "Linux cooked capture v2 (tcpdump -i any, libpcap 1.10+): interface indexes and packet types, IPv4 and IPv6, "
                            + "an ARP frame unparsed")
        let out = PacketBuilder.Link.linuxSLL2(interfaceIndex: 7, packetType: 4)
        let back = PacketBuilder.Link.linuxSLL2(interfaceIndex: 9, packetType: 0, address: PacketBuilder.destinationMAC)
        linkTypeConversation(c, out: out, in: back,
                             notIP: (PacketBuilder(link: back, network: arp(server, asks: client), transport: .other(protocol: 0)),
                                     "ARP request (SLL2 protocol 0x0806): not IP"))
        return c
    }

    static func rawIP() -> Capture {
        let c = Capture("raw-ip", format: .pcap(.raw, snaplen: 262_144), link: .raw, policies: policies,
                        summary: "raw IP (LINKTYPE_RAW, e.g. a tun device or WireGuard): IPv4 and IPv6 told apart by the version nibble; "
                            + "a packet with version 5 is unparsed")
        var notIP: [UInt8] = [0x50, 0x00, 0x00, 0x1C]
        notIP += Payload.pattern(24)
        linkTypeConversation(c, out: .raw, in: .raw,
                             notIP: (PacketBuilder(link: .raw, network: .other(etherType: 0, bytes: notIP), transport: .other(protocol: 0)),
                                     "version nibble 5 (ST2): not IPv4 or IPv6"))
        return c
    }

    static func loopbackNull() -> Capture {
        let c = Capture("loopback-null", format: .pcap(.null, snaplen: 262_144), link: .null(), policies: policies,
                        summary: "BSD loopback (LINKTYPE_NULL): host-order address family, 2 for IPv4 and 30/28/24 for IPv6 (Darwin, FreeBSD, "
                            + "NetBSD/OpenBSD); an unknown family is unparsed")
        linkTypeConversation(c, out: .null(), in: .null(),
                             notIP: (PacketBuilder(link: .null(family: 17), network: .ip(client.ip, server.ip),
                                                   transport: .udp(src: 46003, dst: 53)),
                                     "address family 17: not IP"))
        c.ping(client6, server6, id: 0x0902, count: 1, forward: pingToServer, reverse: toClient, link: .null(family: 28),
               "client pings server over IPv6 with FreeBSD's AF_INET6 (28)")
        c.ping(client6, server6, id: 0x0903, count: 1, forward: pingToServer, reverse: toClient, link: .null(family: 24, bigEndian: true),
               "client pings server over IPv6 with AF_INET6 24, written big-endian")
        return c
    }

    // MARK: Connection tracking

    static func conntrack() -> Capture {
        let c = Capture("conntrack", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(), policies: policies,
                        summary: "connection tracking: replies, mid-stream pickup (nf_conntrack_tcp_loose), RST/FIN/SYN-ACK/no-flag packets without "
                            + "state (INVALID), RELATED ICMP/ICMPv6 errors in either direction, errors about denied flows, echo and timestamp "
                            + "replies without requests, SCTP, and entries expiring (TCP 120 s unreplied, UDP 120 s)")
        let h = http()
        c.tcpSession(client, 47000, server, 80, request: h.request, response: h.response, forward: toServer, reverse: toClient,
                     "client → server:80")
        // Mid-stream pickup: Linux's default nf_conntrack_tcp_loose=1 lets a packet with ACK open
        // a flow without a handshake, so policy decides it like a SYN.
        let pickedUp = "no handshake seen: with nf_conntrack_tcp_loose=1 a packet with ACK opens the flow (NEW), so policy decides"
        let cs = c.isn(47001), ss = c.isn(443, 7)
        c.tcp(client, 47001, server, 443, [.psh, .ack], seq: cs, ack: ss, payload: Payload.pattern(100), .new(.allow),
              "mid-stream client → server:443 data: \(pickedUp): \(toServer.why)")
        let serverAck = c.packet(server, client, .tcp(src: 443, dst: 47001, flags: .ack, seq: ss, ack: cs &+ 100))
        c.add(serverAck, .established(policy: .deny), "server's ACK: reply of the picked-up flow; policy alone: \(toClient.why)",
              hosts: [server, client])
        let data = c.packet(client, server, .tcp(src: 47001, dst: 443, flags: [.psh, .ack], seq: cs &+ 100, ack: ss),
                            payload: Payload.pattern(1400), ip: IPOptions(dontFragment: true))
        c.add(data, .established(policy: .allow), "client's next segment on the picked-up flow", hosts: [client, server])
        c.icmpError(router, client, type: 3, code: 4, quoting: data, rest: 1400, .related(policy: .deny),
                    "fragmentation needed (MTU 1400) from the router, quoting the client's segment: RELATED; policy alone: \(toClient.why)")
        c.icmpError(client, server, type: 3, code: 3, quoting: serverAck, .related(policy: .deny),
                    "client's port unreachable quoting the server's ACK (the reply direction of the flow): RELATED; "
                        + "policy alone: server ingress, ICMP type 3 matches no rule")
        let os = c.isn(47002)
        c.tcp(other, 47002, server, 80, [.psh, .ack], seq: os, ack: 1, payload: Payload.pattern(100), .new(.deny),
              "mid-stream other → server:80 data: \(pickedUp): \(notClient.why)")
        c.wait(seconds: 1)
        c.tcp(other, 47002, server, 80, [.psh, .ack], seq: os, ack: 1, payload: Payload.pattern(100), .new(.deny),
              "retransmission: still no entry (the first was denied), policy decides again: \(notClient.why)")
        c.tcp(client, 47003, other, 8080, .ack, seq: c.isn(47003), ack: 1, .new(.allow), "bare ACK client → other:8080: \(pickedUp): \(open.why)")
        c.tcp(other, 8080, client, 47003, [.psh, .ack], seq: 1, ack: c.isn(47003), payload: Payload.pattern(64), .established(policy: .deny),
              "other's data: reply of the picked-up flow; policy alone: \(toClient.why)")
        // Packets that cannot open a flow: INVALID, dropped before policy.
        c.tcp(server, 80, client, 47100, [.rst, .ack], seq: 1, ack: 1, .invalid(policy: .deny),
              "RST|ACK without a connection: INVALID; policy alone: \(toClient.why)")
        c.tcp(client, 47101, other, 80, .rst, seq: 1, .invalid(policy: .allow), "RST without a connection: INVALID; policy alone: \(open.why)")
        c.tcp(client, 47102, server, 80, [.fin, .ack], seq: 1, ack: 1, .invalid(policy: .allow),
              "FIN|ACK without a connection: INVALID; policy alone: \(toServer.why)")
        c.tcp(server, 80, client, 47103, [.syn, .ack], seq: 1, ack: 1, .invalid(policy: .deny),
              "SYN-ACK without a SYN: INVALID; policy alone: \(toClient.why)")
        c.tcp(other, 443, outside, 55555, [.syn, .ack], seq: 1, ack: 1, .invalid(policy: .allow),
              "SYN-ACK to an outside address (backscatter of a spoofed SYN): INVALID; policy alone: \(open.why)")
        c.tcp(outside, 61000, other, 80, [], seq: 1, .invalid(policy: .allow), "no flags (NULL scan): INVALID; policy alone: \(open.why)")
        c.tcp(outside, 61001, other, 80, [.fin, .psh, .urg], seq: 1, .invalid(policy: .allow),
              "FIN|PSH|URG (Xmas scan): INVALID; policy alone: \(open.why)")
        // UDP.
        let d = dns(0x4201)
        c.udpExchange(client, 47200, server, 53, request: d.query, response: d.response, forward: dnsToServer, reverse: toClient,
                      "client → server UDP 53")
        c.udpExchange(other, 47201, server, 53, request: d.query, response: d.response, forward: notClient,
                      reverse: allow("server egress and other ingress have no policy"), "other → server UDP 53")
        let query = c.packet(client, server, .udp(src: 47202, dst: 53), payload: d.query)
        c.add(query, .new(.allow), "client → server UDP 53: \(dnsToServer.why)", hosts: [client, server])
        c.icmpError(server, client, type: 3, code: 3, quoting: query, .related(policy: .deny),
                    "server's port unreachable quoting the query: RELATED; policy alone: \(toClient.why)")
        let deniedSyn = c.packet(other, server, .tcp(src: 47203, dst: 22, flags: .syn, seq: c.isn(47203)))
        c.add(deniedSyn, .new(.deny), "other → server:22 SYN: \(notClient.why)", hosts: [other, server])
        c.icmpError(server, other, type: 3, code: 13, quoting: deniedSyn, .invalid(policy: .allow),
                    "server's administratively-prohibited error about the denied SYN: the SYN created no entry, so INVALID; "
                        + "policy alone: server egress and other ingress have no policy")
        // ICMPv6 errors.
        let query6 = c.packet(client6, server6, .udp(src: 47204, dst: 53), payload: d.query)
        c.add(query6, .new(.allow), "client → server UDP 53 over IPv6: \(dnsToServer.why)", hosts: [client6, server6])
        c.icmpError(server6, client6, type: 1, code: 4, quoting: query6, .related(policy: .deny),
                    "ICMPv6 port unreachable quoting the query: RELATED; policy alone: \(toClient.why)")
        c.tcpHandshake(client6, 47205, server6, 443, forward: toServer, reverse: toClient, "client → server:443 over IPv6")
        let big = c.packet(client6, server6, .tcp(src: 47205, dst: 443, flags: [.psh, .ack], seq: c.isn(47205) &+ 1, ack: c.isn(443, 7) &+ 1),
                           payload: Payload.pattern(1400))
        c.add(big, .established(policy: .allow), "client's 1400-byte segment on the allowed flow", hosts: [client6, server6])
        c.icmpError(router6, client6, type: 2, code: 0, quoting: big, rest: 1280, .related(policy: .deny),
                    "ICMPv6 packet too big (MTU 1280) from the router: RELATED; policy alone: \(toClient.why)")
        // ICMP queries and replies.
        c.ping(client, server, id: 0x0A01, count: 1, forward: pingToServer, reverse: toClient, "client pings server")
        c.send(other, client, .icmpEcho(request: false, id: 0x0A02, sequence: 1), payload: Payload.ping, .invalid(policy: .deny),
               "echo reply nobody asked for: INVALID; policy alone: \(toClient.why)")
        c.send(client, outside, .icmpEcho(request: false, id: 0x0A03, sequence: 1), payload: Payload.ping, .invalid(policy: .allow),
               "echo reply to a request never seen: INVALID; policy alone: \(open.why)")
        c.send(other, client, .icmp(type: 14, code: 0, rest: 0x0A04_0001), payload: Array(repeating: 0, count: 12), .invalid(policy: .deny),
               "ICMP timestamp reply without a request: INVALID; policy alone: \(toClient.why)")
        // SCTP: INIT opens the flow, INIT-ACK is its reply.
        c.send(client, other, .sctp(src: 5000, dst: 5000, verificationTag: 0, chunkType: 1), .new(.allow), "SCTP INIT client → other: \(open.why)")
        c.send(other, client, .sctp(src: 5000, dst: 5000, verificationTag: 1, chunkType: 2), payload: Payload.pattern(20),
               .established(policy: .deny), "SCTP INIT-ACK: reply of the allowed association; policy alone: \(toClient.why)")
        // Timeouts (nf_conntrack defaults): TCP 120 s without a reply, UDP 120 s after a reply.
        let late = dns(0x4202)
        c.udpExchange(client, 47300, server, 53, request: late.query, response: late.response, forward: dnsToServer, reverse: toClient,
                      "client → server UDP 53, answered")
        c.tcp(client, 47301, server, 443, .syn, seq: c.isn(47301), .new(.allow), "client → server:443 SYN: \(toServer.why)")
        c.wait(seconds: 130)
        c.tcp(server, 443, client, 47301, [.syn, .ack], seq: c.isn(443, 7), ack: c.isn(47301) &+ 1, .invalid(policy: .deny),
              "SYN-ACK 130 s later: the entry expired after 120 s without a reply (nf_conntrack_tcp_timeout_syn_sent), so it is a SYN-ACK "
                  + "without a SYN: INVALID; policy alone: \(toClient.why)")
        c.wait(seconds: 300)
        c.send(server, client, .udp(src: 53, dst: 47300), payload: late.response, .new(.deny),
               "a second answer 430 s later: the UDP entry expired (120 s after the reply), so it is a new flow of its own: \(toClient.why)")
        return c
    }
}
