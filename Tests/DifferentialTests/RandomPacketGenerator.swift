// Seeded random packets biased towards the policy set they are checked against: addresses of
// endpoints, the edges and members of network-set and rule CIDRs, and a few externals; the port
// ranges' edges (and one past them) and the named ports' numbers; the ICMP types and codes the rules
// name; TCP, UDP, SCTP, ICMP, ICMPv6 and other protocols; a few non-first fragments.

import Addresses
import PolicyModel
import ReferenceEvaluator
import Selectors

struct RandomPacketGenerator {
    /// A policy's (or profile's) rules in one direction, and the endpoints they apply to.
    private struct Target {
        var rules: [Rule]
        var direction: Direction
        var endpoints: [Endpoint]
    }
    /// Share of packets aimed at one rule (built to satisfy it); the rest are drawn from the pools.
    var ruleDirectedShare = 0.6
    private var targets: [Target] = []
    private var endpoints: [Endpoint] = []
    private var networkSets: [NetworkSet] = []
    private var rng: SeededRandom
    private var endpointAddresses: [IPFamily: [IPAddress]] = [:]
    private var setCIDRs: [IPFamily: [CIDR]] = [:]
    private var ruleCIDRs: [IPFamily: [CIDR]] = [:]
    private var portPool: [UInt16] = []
    private var icmpPool: [IPFamily: [(UInt8, UInt8)]] = [:]
    private var protocolPool: [UInt8] = []

    static let externalV4 = ["203.0.113.5", "203.0.113.200", "198.51.100.1", "8.8.8.8", "1.1.1.1", "172.16.5.4", "192.168.0.99"].map { IPAddress($0)! }
    static let externalV6 = ["2001:db8::5", "2001:db8:1::1", "2001:db8:ffff::1", "fd00:1::ffff", "2606:4700::1111"].map { IPAddress($0)! }

    init(seed: UInt64, set: PolicySet) {
        rng = SeededRandom(seed: seed, stream: "packets")
        for e in set.endpoints {
            for a in e.addresses { endpointAddresses[a.family, default: []].append(a) }
            portPool += e.namedPorts.map(\.port)
        }
        for ns in set.networkSets {
            for c in ns.nets { setCIDRs[c.family, default: []].append(c) }
        }
        var rules: [Rule] = set.allPolicies.flatMap { $0.ingress + $0.egress }
        for name in set.profiles.keys.sorted() { rules += set.profiles[name]!.ingress + set.profiles[name]!.egress }
        for r in rules {
            for e in [r.source, r.destination] {
                for c in e.nets + e.notNets { ruleCIDRs[c.family, default: []].append(c) }
                for p in e.ports + e.notPorts {
                    if case let .range(lo, hi) = p {
                        portPool += [lo, hi]
                        if lo > 1 { portPool.append(lo - 1) }
                        if hi < 65535 { portPool.append(hi + 1) }
                    }
                }
            }
            for p in [r.protocol, r.notProtocol].compactMap({ $0 }) { protocolPool.append(p.number) }
            for m in [r.icmp, r.notICMP].compactMap({ $0 }) {
                let fam: IPFamily = r.protocol?.number == 58 || r.notProtocol?.number == 58 || m.type >= 128 ? .v6 : .v4
                let code = m.code ?? 0
                icmpPool[fam, default: []] += [(m.type, code), (m.type, code &+ 1), (m.type &+ 1, code)]
            }
        }
        for f in set.felix.failsafeInbound + set.felix.failsafeOutbound {
            portPool.append(f.port)
            if let n = f.net { ruleCIDRs[n.family, default: []].append(n) }
        }
        endpoints = set.endpoints
        networkSets = set.networkSets
        for p in set.allPolicies {
            let selected = set.endpoints.filter { p.endpointSelector.matches($0.effectiveLabels) }
            for d in p.types where !p.rules(d).isEmpty && !selected.isEmpty {
                targets.append(Target(rules: p.rules(d), direction: d, endpoints: selected))
            }
        }
        for name in set.profiles.keys.sorted() {
            let profile = set.profiles[name]!
            let users = set.endpoints.filter { $0.profiles.contains(name) }
            for d in Direction.allCases where !profile.rules(d).isEmpty && !users.isEmpty {
                targets.append(Target(rules: profile.rules(d), direction: d, endpoints: users))
            }
        }
        // Make the pools deterministic whatever the order sets were built in.
        for k in endpointAddresses.keys { endpointAddresses[k]!.sort() }
        portPool = Array(Set(portPool)).sorted()
        protocolPool = Array(Set(protocolPool)).sorted()
    }

    mutating func address(_ family: IPFamily) -> IPAddress {
        let r = rng.unit()
        if r < 0.55, let a = rng.pickOrNil(endpointAddresses[family] ?? []) { return a }
        if r < 0.70, let c = rng.pickOrNil(setCIDRs[family] ?? []) { return AddressMath.edgeOrMember(c, &rng) }
        if r < 0.85, let c = rng.pickOrNil(ruleCIDRs[family] ?? []) { return AddressMath.edgeOrMember(c, &rng) }
        if rng.chance(0.7) { return rng.pick(family == .v4 ? Self.externalV4 : Self.externalV6) }
        return family == .v4 ? IPAddress(v4: UInt32(truncatingIfNeeded: rng.next())) : IPAddress(v6High: rng.next(), low: rng.next())
    }

    mutating func port(favoured: Double) -> UInt16 {
        if rng.chance(favoured), let p = rng.pickOrNil(portPool) { return p }
        switch rng.below(4) {
        case 0: return UInt16(rng.pick([22, 53, 68, 80, 443, 8080, 9090, 3306]))
        case 1: return UInt16(rng.int(in: 1...1024))
        default: return UInt16(rng.int(in: 1024...65535))
        }
    }

    mutating func next() -> Packet {
        if rng.chance(ruleDirectedShare), let p = ruleDirected() { return p }
        return pooled()
    }

    /// An address that `entity` (one side of a rule) would accept, when it is easy to find one.
    private mutating func address(satisfying entity: EntityRule, _ family: IPFamily) -> IPAddress? {
        let nets = entity.nets.filter { $0.family == family }
        if !nets.isEmpty {
            let c = rng.pick(nets)
            return rng.chance(0.8) ? AddressMath.randomMember(c, &rng) : AddressMath.edgeOrMember(c, &rng)
        }
        if let sel = entity.addressSelector {
            var options: [IPAddress] = endpoints.filter { sel.matches($0.effectiveLabels) }.flatMap { $0.addresses.filter { $0.family == family } }
            for s in networkSets where sel.matches(s.effectiveLabels) {
                for c in s.nets where c.family == family { options.append(AddressMath.edgeOrMember(c, &rng)) }
            }
            if let a = rng.pickOrNil(options) { return a }
        }
        return nil
    }

    /// A port that `ports` accepts (a named port resolved on `owner`), or nil.
    private mutating func port(satisfying ports: [PortSpec], owner: Endpoint?, protocolNumber: inout UInt8?) -> UInt16? {
        guard let spec = rng.pickOrNil(ports) else { return nil }
        switch spec {
        case let .range(lo, hi):
            switch rng.below(4) {
            case 0: return lo
            case 1: return hi
            default: return UInt16(rng.int(in: Int(lo)...Int(hi)))
            }
        case let .named(name):
            let declared = owner?.namedPorts.filter { $0.name == name && (protocolNumber == nil || $0.protocolNumber == protocolNumber) } ?? []
            guard let np = rng.pickOrNil(declared) else { return nil }
            protocolNumber = np.protocolNumber
            return np.port
        }
    }

    /// A packet built to satisfy one rule of a policy or profile, at an endpoint the policy applies to.
    private mutating func ruleDirected() -> Packet? {
        guard let target = rng.pickOrNil(targets) else { return nil }
        let rule = rng.pick(target.rules)
        let allNets = rule.source.nets + rule.source.notNets + rule.destination.nets + rule.destination.notNets
        let family: IPFamily = rule.ipVersion ?? rule.protocol?.impliedFamily ?? allNets.first?.family ?? (rng.chance(0.75) ? .v4 : .v6)
        let owners = target.endpoints.filter { $0.address(of: family) != nil }
        guard let own = rng.pickOrNil(owners), let ownAddress = own.address(of: family) else { return nil }
        let ingress = target.direction == .ingress
        let peerEntity = ingress ? rule.source : rule.destination
        let peerAddress = address(satisfying: peerEntity, family) ?? address(family)
        let peer = endpoints.first { $0.addresses.contains(peerAddress) }

        var proto: UInt8? = rule.protocol?.number
        let srcOwner = ingress ? peer : own, dstOwner = ingress ? own : peer
        let dport = port(satisfying: rule.destination.ports, owner: dstOwner, protocolNumber: &proto)
        let sport = port(satisfying: rule.source.ports, owner: srcOwner, protocolNumber: &proto)
        let icmpNumber: UInt8 = family == .v4 ? 1 : 58
        if proto == nil {
            if rule.icmp != nil || rule.notICMP != nil { proto = icmpNumber }
            else { proto = rng.weighted([(6, 4.0), (17, 2.5), (132, 0.6), (icmpNumber, 1.5), (47, 0.4)]) }
            if proto == rule.notProtocol?.number { proto = proto == 6 ? 17 : 6 }
        }
        let (source, destination) = ingress ? (peerAddress, ownAddress) : (ownAddress, peerAddress)
        var p = Packet(source: source, destination: destination, protocolNumber: proto!)
        if [6, 17, 132, 136].contains(proto!) {
            p.sourcePort = sport ?? port(favoured: 0.2)
            p.destinationPort = dport ?? port(favoured: 0.6)
        } else if proto == icmpNumber {
            if let m = rule.icmp {
                p.icmpType = m.type
                p.icmpCode = m.code ?? UInt8(rng.below(4))
            } else {
                let (t, c) = rng.pick(family == .v4 ? [(8, 0), (0, 0), (3, 3), (11, 0)] : [(128, 0), (129, 0), (1, 4), (3, 0)])
                p.icmpType = UInt8(t)
                p.icmpCode = UInt8(c)
            }
        }
        return p
    }

    /// A packet from the address, port, protocol and ICMP pools.
    private mutating func pooled() -> Packet {
        let family: IPFamily = rng.chance(0.75) ? .v4 : .v6
        let source = address(family)
        let destination = address(family)
        let icmpNumber: UInt8 = family == .v4 ? 1 : 58
        let proto: UInt8 = rng.weighted([
            (6, 35.0), (17, 20), (132, 6), (icmpNumber, 22), (rng.pickOrNil(protocolPool) ?? 47, 8),
            (family == .v4 ? 58 : 1, 2), (136, 2), (rng.pick([47, 50, 4, 2]), 3),
        ])
        var p = Packet(source: source, destination: destination, protocolNumber: proto)
        if [6, 17, 132, 136].contains(proto) {
            p.sourcePort = port(favoured: 0.25)
            p.destinationPort = port(favoured: 0.7)
        } else if proto == icmpNumber {
            if rng.chance(0.6), let (t, c) = rng.pickOrNil(icmpPool[family] ?? []) {
                p.icmpType = t
                p.icmpCode = c
            } else {
                let (t, c) = rng.pick(family == .v4 ? [(8, 0), (0, 0), (3, 3), (3, 1), (11, 0), (5, 2)] : [(128, 0), (129, 0), (1, 4), (3, 0), (2, 0)])
                p.icmpType = UInt8(t)
                p.icmpCode = UInt8(c)
            }
        }
        if rng.chance(0.04) {
            // A non-first fragment has no L4 header; sometimes keep the fields to check they are ignored.
            p.isNonFirstFragment = true
            if rng.chance(0.7) {
                p.sourcePort = nil
                p.destinationPort = nil
                p.icmpType = nil
                p.icmpCode = nil
            }
        }
        return p
    }

    mutating func packets(_ n: Int) -> [Packet] { (0..<n).map { _ in next() } }
}
