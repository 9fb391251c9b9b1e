// Calico's ICMP how-to (examples/icmp-howto) on its small cluster: pings, ICMP errors related to
// tracked flows (RELATED: allowed whatever policy says) and unrelated ones (INVALID: dropped before
// policy), and echo replies nobody asked for (INVALID).

import Packets

enum ICMPHowTo {
    static let web = Host("10.10.1.10", "demo/web")
    static let web6 = Host("fd00:10::10", "demo/web")
    static let api = Host("10.10.2.20", "demo/api")
    static let api6 = Host("fd00:10::20", "demo/api")
    static let node1 = Host("192.168.10.11", "hostendpoint:node1-eth0")
    static let vm = Host("10.10.9.9", "vms/vm1")
    static let internet = Host("203.0.113.5", nil)
    static let router = Host("198.51.100.1", nil)
    static let publicDNS = Host("8.8.8.8", nil)
    static let farHost = Host("192.0.2.80", nil)
    static let farHost2 = Host("192.0.2.81", nil)
    static let unseenHost = Host("192.0.2.99", nil)
    static let router6 = Host("2001:db8::1", nil)
    static let dns6 = Host("2001:db8::53", nil)
    static let web6Far = Host("2001:db8::80", nil)

    static let cluster = "examples/icmp-howto/cluster.yaml"

    // MARK: The how-to's end state: all three policies

    /// examples/icmp-howto as a whole: block-icmp (order 200) denies ICMP and ICMPv6 in both
    /// directions of every endpoint before allow-ping-in-cluster (no order) is reached, and makes
    /// every endpoint default-deny. Only failsafes, host → local pod traffic, and conntrack
    /// (replies, RELATED errors) get through.
    static func endState() -> Capture {
        let c = Capture("icmp-howto", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(),
                        policies: ["examples/icmp-howto"],
                        summary: "the ICMP how-to's end state (all three policies): every ping is denied, yet ICMP errors related to "
                            + "failsafe flows pass as RELATED; unrelated errors and unsolicited echo replies are INVALID")
        let blockEgress = "egress: block-icmp (order 200) denies ICMP before allow-ping-in-cluster (no order) is reached"
        c.ping(web, api, id: 0x0101, count: 2, forward: deny("web " + blockEgress), "web pings api")
        c.ping(web6, api6, id: 0x0102, count: 2, forward: deny("web egress: block-icmp denies ICMPv6"), "web pings api over IPv6")
        c.ping(api, node1, id: 0x0103, count: 1,
               forward: deny("api " + blockEgress + "; an ingress-only allow cannot fix egress"), "api pings node1")
        c.ping(node1, api, id: 0x0104, count: 1, forward: deny("node1-eth0 egress (host-originated): block-icmp denies ICMP"),
               "node1 pings api")
        c.tcpDenied(web, 40000, api, 8080, tries: 2,
                    policy: deny("web egress: block-icmp selects every endpoint, so anything not allowed is denied at the end of the tier"),
                    "web → api:8080")
        c.tcpDenied(internet, 50000, web, 80, tries: 2, policy: deny("web ingress: default-deny (block-icmp selects web)"),
                    "external client → web:80")
        c.tcpDenied(internet, 50001, node1, 443, tries: 2,
                    policy: deny("node1-eth0 ingress: default-deny; its allow-all profile is never reached"), "external client → node1:443")

        // SSH to the node works (failsafe); an ICMP error about it is RELATED although ICMP is blocked.
        let ssh = "external client → node1:22 (SSH)"
        let sshReply = deny("node1-eth0 egress: the reply's destination port is no failsafe port, and block-icmp makes egress default-deny")
        c.tcpHandshake(internet, 50022, node1, 22, forward: allow("failsafe inbound TCP 22, before any policy"),
                       reverse: sshReply, ssh)
        let bigSegment = c.packet(node1, internet, .tcp(src: 22, dst: 50022, flags: [.psh, .ack], seq: c.isn(22, 7) &+ 1,
                                                        ack: c.isn(50022) &+ 1),
                                  payload: Payload.pattern(1448), ip: IPOptions(dontFragment: true))
        c.add(bigSegment, .established(policy: sshReply.verdict), "node1's SSH data: reply direction of the allowed flow; policy alone: \(sshReply.why)",
              hosts: [node1, internet])
        c.icmpError(router, node1, type: 3, code: 4, quoting: bigSegment, rest: 1400,
                    .related(policy: .deny),
                    "fragmentation needed (MTU 1400) quoting node1's SSH segment: RELATED; policy alone: node1-eth0 ingress, block-icmp denies ICMP")
        // The node's own DNS lookup (failsafe outbound UDP 53) and the port-unreachable it gets.
        let query = c.packet(node1, publicDNS, .udp(src: 33001, dst: 53), payload: Payload.dnsQuery(id: 0x2A01, name: "example.com"))
        c.add(query, .new(.allow), "node1 → 8.8.8.8 UDP 53: failsafe outbound UDP 53, before any policy", hosts: [node1, publicDNS])
        c.icmpError(publicDNS, node1, type: 3, code: 3, quoting: query, .related(policy: .deny),
                    "port unreachable quoting node1's DNS query: RELATED; policy alone: node1-eth0 ingress, block-icmp denies ICMP")
        // The kubelet's health check from node1 to its own pod is not policed.
        c.tcpSession(node1, 45000, web, 80, request: Payload.httpGet(host: "10.10.1.10", path: "/healthz"),
                     response: Payload.httpResponse("ok"),
                     forward: allow("host → workload on the same node (node1 → web) is not policed by web's ingress policy"),
                     reverse: deny("web → its own host: web's egress policy first, and block-icmp makes it default-deny"),
                     "node1 (kubelet) → web:80 health check")

        // Nothing tracked: INVALID, whatever the rules say.
        let unseen = c.packet(vm, internet, .tcp(src: 22, dst: 50100, flags: [.syn, .ack]))
        c.icmpError(internet, vm, type: 3, code: 1, quoting: unseen, .invalid(policy: .deny),
                    "host unreachable quoting a flow never seen: INVALID; policy alone: VM ingress, block-icmp denies ICMP before allow-host-unreachable's 3/1 rule")
        c.send(api, web, .icmpEcho(request: false, id: 0x0199, sequence: 1), payload: Payload.ping,
               .invalid(policy: .deny), "echo reply nobody asked for: INVALID; policy alone: api egress, block-icmp denies ICMP")
        let unseen6 = c.packet(web6, dns6, .udp(src: 33002, dst: 53), payload: Payload.dnsQuery(id: 0x2A02, name: "example.com", type: 28))
        c.icmpError(router6, web6, type: 1, code: 3, quoting: unseen6, .invalid(policy: .deny),
                    "ICMPv6 address unreachable quoting a flow never seen: INVALID; policy alone: web ingress, block-icmp denies ICMPv6")
        return c
    }

    // MARK: allow-ping-in-cluster alone

    /// cluster.yaml + allow-ping-in-cluster.yaml (TC-34): pings from known endpoints are allowed and
    /// every other ingress is denied; egress is not governed.
    static func allowPing() -> Capture {
        let c = Capture("icmp-allow-ping", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(),
                        policies: [cluster, "examples/icmp-howto/allow-ping-in-cluster.yaml"],
                        summary: "allow-ping-in-cluster alone: echo request/reply over IPv4 and IPv6, ICMP and ICMPv6 errors RELATED to "
                            + "allowed flows (dest-unreachable, time-exceeded, packet-too-big), unrelated errors and unsolicited echo replies INVALID")
        let pingIn = "ingress: allow-ping-in-cluster, ICMP type 8 from all() (the source is an endpoint's address); source egress has no policy"
        let noReplyRule = "ingress: allow-ping-in-cluster selects it; an echo reply matches no rule, end of tier"
        c.ping(web, api, id: 0x0201, count: 2, forward: allow("api " + pingIn), reverse: deny("web " + noReplyRule), "web pings api")
        c.ping(web6, api6, id: 0x0202, count: 2,
               forward: allow("api ingress: allow-ping-in-cluster, ICMPv6 type 128 from all()"),
               reverse: deny("web ingress: type 129 matches no rule"), "web pings api over IPv6")
        c.ping(node1, api, id: 0x0203, count: 1,
               forward: allow("node1-eth0 egress: no egress policy, profile projectcalico-default-allow; api ingress: type 8 from the host endpoint's expectedIP, which all() covers"),
               reverse: deny("node1-eth0 ingress (to the host): allow-ping-in-cluster applies, type 0 matches no rule; failsafes are TCP/UDP only"),
               "node1 pings api")
        c.ping(internet, api, id: 0x0204, count: 2,
               forward: deny("api ingress: an external address is in no selector, not even all()"), "external host pings api")
        c.send(web, api, .icmp(type: 13, code: 0, rest: 0x0205_0001), payload: Array(repeating: 0, count: 12), .new(.deny),
               "ICMP timestamp request web → api: api ingress allows only type 8")
        c.tcpDenied(web, 40000, api, 8080, tries: 2,
                    policy: deny("api ingress: allow-ping-in-cluster makes ingress default-deny for everything but pings"), "web → api:8080")

        // Errors RELATED to flows api and web opened (their egress is not governed).
        let egressOpen = "egress has no policy (kns.demo allows) and the destination is external"
        let syn = c.packet(api, farHost, .tcp(src: 40100, dst: 443, flags: .syn, seq: c.isn(40100)))
        c.add(syn, .new(.allow), "api → 192.0.2.80:443 SYN: api " + egressOpen, hosts: [api, farHost])
        c.icmpError(router, api, type: 3, code: 1, quoting: syn, .related(policy: .deny),
                    "host unreachable quoting api's SYN: RELATED; policy alone: api ingress, type 3 matches no rule")
        let probe = c.packet(api, publicDNS, .udp(src: 40101, dst: 33434), payload: Payload.pattern(32), ip: IPOptions(ttl: 1))
        c.add(probe, .new(.allow), "traceroute probe api → 8.8.8.8 UDP 33434, TTL 1: api " + egressOpen, hosts: [api, publicDNS])
        c.icmpError(router, api, type: 11, code: 0, quoting: probe, .related(policy: .deny),
                    "time exceeded quoting the probe: RELATED; policy alone: api ingress, type 11 matches no rule")
        let query = c.packet(api, publicDNS, .udp(src: 40102, dst: 53), payload: Payload.dnsQuery(id: 0x2B01, name: "example.com"))
        c.add(query, .new(.allow), "api → 8.8.8.8 UDP 53: api " + egressOpen, hosts: [api, publicDNS])
        c.icmpError(publicDNS, api, type: 3, code: 3, quoting: query, .related(policy: .deny),
                    "port unreachable quoting api's query: RELATED; policy alone: api ingress denies type 3")
        let echo = c.packet(web, farHost, .icmpEcho(request: true, id: 0x0206, sequence: 1), payload: Payload.ping, ip: IPOptions(ttl: 1))
        c.add(echo, .new(.allow), "traceroute -I: web → 192.0.2.80 echo, TTL 1: web " + egressOpen, hosts: [web, farHost])
        c.icmpError(router, web, type: 11, code: 0, quoting: echo, .related(policy: .deny),
                    "time exceeded quoting web's echo request: RELATED to the echo flow; policy alone: web ingress, type 11 matches no rule")
        let query6 = c.packet(api6, dns6, .udp(src: 40103, dst: 53), payload: Payload.dnsQuery(id: 0x2B02, name: "example.com", type: 28))
        c.add(query6, .new(.allow), "api → 2001:db8::53 UDP 53: api " + egressOpen, hosts: [api6, dns6])
        c.icmpError(dns6, api6, type: 1, code: 4, quoting: query6, .related(policy: .deny),
                    "ICMPv6 port unreachable quoting api's query: RELATED; policy alone: api ingress, ICMPv6 type 1 matches no rule")
        c.tcpHandshake(api6, 40104, web6Far, 443, forward: allow("api " + egressOpen),
                       reverse: deny("api ingress: default-deny apart from pings"), "api → [2001:db8::80]:443")
        let big = c.packet(api6, web6Far, .tcp(src: 40104, dst: 443, flags: [.psh, .ack], seq: c.isn(40104) &+ 1, ack: c.isn(443, 7) &+ 1),
                           payload: Payload.pattern(1400))
        c.add(big, .established(policy: .allow), "api's 1400-byte segment on the allowed flow", hosts: [api6, web6Far])
        c.icmpError(router6, api6, type: 2, code: 0, quoting: big, rest: 1280, .related(policy: .deny),
                    "ICMPv6 packet too big (MTU 1280) quoting api's segment: RELATED; policy alone: api ingress, type 2 matches no rule")
        let probe6 = c.packet(api6, dns6, .udp(src: 40105, dst: 33435), payload: Payload.pattern(32), ip: IPOptions(hopLimit: 1))
        c.add(probe6, .new(.allow), "traceroute6 probe api → 2001:db8::53, hop limit 1: api " + egressOpen, hosts: [api6, dns6])
        c.icmpError(router6, api6, type: 3, code: 0, quoting: probe6, .related(policy: .deny),
                    "ICMPv6 time exceeded quoting the probe: RELATED; policy alone: api ingress denies type 3")

        // Errors quoting nothing tracked: INVALID.
        let neverSent = c.packet(api, unseenHost, .tcp(src: 40106, dst: 443, flags: .syn))
        c.icmpError(router, api, type: 3, code: 1, quoting: neverSent, .invalid(policy: .deny),
                    "host unreachable quoting a SYN api never sent: INVALID; policy alone: api ingress denies type 3")
        let neverSent2 = c.packet(web, internet, .udp(src: 40107, dst: 53))
        c.icmpError(internet, web, type: 11, code: 0, quoting: neverSent2, .invalid(policy: .deny),
                    "time exceeded quoting a flow never seen: INVALID; policy alone: web ingress denies type 11")
        let neverSent6 = c.packet(web6, dns6, .udp(src: 40108, dst: 53))
        c.icmpError(router6, web6, type: 1, code: 0, quoting: neverSent6, .invalid(policy: .deny),
                    "ICMPv6 no route quoting a flow never seen: INVALID; policy alone: web ingress denies ICMPv6 type 1")
        let deniedQuery = c.packet(internet, api, .udp(src: 53000, dst: 53))
        c.icmpError(api, internet, type: 3, code: 3, quoting: deniedQuery, .invalid(policy: .allow),
                    "api's port unreachable about a query that was never allowed in: INVALID; policy alone allows (api " + egressOpen + ")")
        // Echo replies without a request: INVALID.
        c.send(internet, web, .icmpEcho(request: false, id: 0x7777, sequence: 1), payload: Payload.ping, .invalid(policy: .deny),
               "echo reply nobody asked for: INVALID; policy alone: web ingress, type 0 matches no rule")
        c.send(web, internet, .icmpEcho(request: false, id: 0x7778, sequence: 1), payload: Payload.ping, .invalid(policy: .allow),
               "echo reply to a request never seen: INVALID; policy alone allows (web " + egressOpen + ")")
        c.send(api6, web6, .icmpEcho(request: false, id: 0x7779, sequence: 1), payload: Payload.ping, .invalid(policy: .deny),
               "ICMPv6 echo reply nobody asked for: INVALID; policy alone: web ingress, type 129 matches no rule")
        return c
    }

    // MARK: allow-host-unreachable alone

    /// cluster.yaml + allow-host-unreachable.yaml (TC-36): the selector
    /// `projectcalico.org/orchestrator == 'kubernetes'` selects no pod, only the VM; and its
    /// "allow ICMP 3/1" matters only for errors conntrack would not already decide.
    static func hostUnreachable() -> Capture {
        let c = Capture("icmp-host-unreachable", format: .pcap(.ethernet, snaplen: 262_144), link: .ethernet(),
                        policies: [cluster, "examples/icmp-howto/allow-host-unreachable.yaml"],
                        summary: "allow-host-unreachable alone: the rule selects only the VM; an unrelated 3/1 error is INVALID although the rule "
                            + "allows it, a related 3/0 error is allowed although the rule does not")
        let vmIngress = "VM ingress: allow-host-unreachable selects the VM (orchestrator literally 'kubernetes'), so its ingress is default-deny apart from ICMP 3/1"
        c.tcpSession(internet, 50000, web, 80, request: Payload.httpGet(host: "web.demo"), response: Payload.httpResponse("hello\n"),
                     forward: allow("web ingress: the policy selects no pod (pods carry orchestrator k8s), profile kns.demo allows"),
                     reverse: allow("web egress: no policy"), "external client → web:80")
        let unseen = c.packet(vm, internet, .tcp(src: 22, dst: 50100, flags: [.syn, .ack]))
        c.icmpError(internet, vm, type: 3, code: 1, quoting: unseen, .invalid(policy: .allow),
                    "host unreachable quoting a flow never seen: INVALID, dropped before the rule that allows ICMP 3/1")
        c.icmpError(internet, vm, type: 3, code: 0, quoting: unseen, .invalid(policy: .deny),
                    "net unreachable quoting a flow never seen: INVALID; policy alone denies it too (only 3/1 is allowed)")
        let syn = c.packet(vm, farHost, .tcp(src: 40200, dst: 80, flags: .syn, seq: c.isn(40200)))
        c.add(syn, .new(.allow), "VM → 192.0.2.80:80 SYN: VM egress has no policy, its profile 'open' allows", hosts: [vm, farHost])
        c.icmpError(router, vm, type: 3, code: 1, quoting: syn, .related(policy: .allow),
                    "host unreachable quoting the VM's SYN: RELATED; policy alone also allows (3/1)")
        let syn2 = c.packet(vm, farHost2, .tcp(src: 40201, dst: 80, flags: .syn, seq: c.isn(40201)))
        c.add(syn2, .new(.allow), "VM → 192.0.2.81:80 SYN: VM egress profile 'open'", hosts: [vm, farHost2])
        c.icmpError(router, vm, type: 3, code: 0, quoting: syn2, .related(policy: .deny),
                    "net unreachable quoting the VM's SYN: RELATED, allowed although the rule admits only 3/1")
        c.tcpDenied(internet, 50200, vm, 22, tries: 2, policy: deny(vmIngress), "external client → VM:22")
        c.ping(web, vm, id: 0x0301, count: 2, forward: deny(vmIngress), "web pings the VM")
        c.ping(vm, web, id: 0x0302, count: 1, forward: allow("VM egress: profile 'open'; web ingress: no policy selects web"),
               reverse: deny("VM ingress: an echo reply is not ICMP 3/1"), "the VM pings web")
        let unseenWeb = c.packet(web, internet, .udp(src: 40300, dst: 53))
        c.icmpError(internet, web, type: 3, code: 1, quoting: unseenWeb, .invalid(policy: .allow),
                    "host unreachable to web quoting a flow never seen: INVALID; policy alone allows (no policy selects web)")
        return c
    }
}
