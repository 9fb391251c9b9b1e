// Does one rule match one packet? Written criterion by criterion, in the words of SEMANTICS §1.3,
// §1.4, §6 and §7, so that a reader can check each line against the spec.

import Addresses
import PolicyModel
import Selectors

struct RuleMatcher {
    let set: PolicySet

    /// Nil when `rule` matches `packet`; otherwise the first criterion that failed, in words.
    func mismatch(_ rule: Rule, _ packet: Packet) -> String? {
        // §7.1: a rule only matches the IP family its ipVersion, its protocol name, or its CIDRs imply.
        if let v = rule.ipVersion, v != packet.family { return "rule is IPv\(v.rawValue)-only" }
        if let implied = rule.protocol?.impliedFamily, implied != packet.family { return "protocol \(rule.protocol!) implies \(implied)" }
        for (list, what) in [(rule.source.nets, "source.nets"), (rule.source.notNets, "source.notNets"),
                             (rule.destination.nets, "destination.nets"), (rule.destination.notNets, "destination.notNets")]
            where !list.isEmpty && !list.contains(where: { $0.family == packet.family }) {
            return "\(what) has no \(packet.family) CIDR, so the rule does not apply to \(packet.family)"
        }

        if let p = rule.protocol, p.number != packet.protocolNumber { return "protocol is not \(p)" }
        if let p = rule.notProtocol, p.number == packet.protocolNumber { return "protocol is \(p) (notProtocol)" }

        if let m = rule.icmp {
            guard packet.isICMP, !packet.isNonFirstFragment, let t = packet.icmpType else { return "not an ICMP packet (icmp)" }
            if t != m.type || (m.code != nil && m.code != packet.icmpCode) { return "ICMP \(describeICMP(packet)) is not \(m)" }
        }
        if let m = rule.notICMP {
            // Without an ICMP header there is nothing to compare; iptables needs `-p icmp` for this match.
            guard packet.isICMP, !packet.isNonFirstFragment, let t = packet.icmpType else { return "not an ICMP packet (notICMP)" }
            if t == m.type && (m.code == nil || m.code == packet.icmpCode) { return "ICMP \(describeICMP(packet)) is \(m) (notICMP)" }
        }

        if let why = entityMismatch(rule.source, address: packet.source, port: packet.sourcePort, packet: packet, rule: rule, side: "source") {
            return why
        }
        if let why = entityMismatch(rule.destination, address: packet.destination, port: packet.destinationPort, packet: packet, rule: rule, side: "destination") {
            return why
        }
        return nil
    }

    private func describeICMP(_ p: Packet) -> String {
        "type \(p.icmpType.map(String.init) ?? "?") code \(p.icmpCode.map(String.init) ?? "?")"
    }

    /// §1.4 and §7.3–§7.6: nets OR, notNets NOR, selectors as address sets, ports with named ports per endpoint.
    private func entityMismatch(_ e: EntityRule, address: IPAddress, port: UInt16?, packet: Packet, rule: Rule, side: String) -> String? {
        let nets = e.nets.filter { $0.family == packet.family }
        if !nets.isEmpty && !nets.contains(where: { $0.contains(address) }) { return "\(side) \(address) is not in \(side).nets" }
        if let hit = e.notNets.first(where: { $0.contains(address) }) { return "\(side) \(address) is in \(side).notNets \(hit)" }

        if let sel = e.addressSelector, !addressMatches(sel, address) {
            return "\(side) \(address) belongs to nothing that matches \(sel.canonical)"
        }
        if let neg = e.negatedAddressSelector, addressMatches(neg, address) {
            return "\(side) \(address) belongs to something that matches notSelector \(neg.canonical)"
        }

        if !e.ports.isEmpty || !e.notPorts.isEmpty {
            guard packet.hasPorts else { return "\(side) ports need a TCP, UDP or SCTP header" }
            guard let port else { return "\(side) port is not known (the probe gives no \(side == "source" ? "srcPort" : "port"))" }
            if !e.ports.isEmpty && !e.ports.contains(where: { portMatches($0, port: port, address: address, entity: e, rule: rule, packet: packet) }) {
                return "\(side) port \(port) is not in \(side).ports [\(e.ports.map(\.description).joined(separator: ", "))]"
            }
            if let hit = e.notPorts.first(where: { portMatches($0, port: port, address: address, entity: e, rule: rule, packet: packet) }) {
                return "\(side) port \(port) matches \(side).notPorts \(hit)"
            }
        }
        return nil
    }

    /// A numeric range, or a named port declared by an endpoint that owns `address`, matches the rule's
    /// positive selector (any endpoint when there is none), and declares that name with the packet's
    /// protocol and port (§7.6).
    private func portMatches(_ spec: PortSpec, port: UInt16, address: IPAddress, entity: EntityRule, rule: Rule, packet: Packet) -> Bool {
        switch spec {
        case let .range(lo, hi):
            return lo <= port && port <= hi
        case let .named(name):
            return set.owners(of: address).contains { ep in
                if let sel = entity.addressSelector, !sel.matches(ep.effectiveLabels) { return false }
                return ep.namedPorts.contains { np in
                    np.name == name && np.port == port && np.protocolNumber == packet.protocolNumber
                        && (rule.protocol == nil || rule.protocol!.number == np.protocolNumber)
                }
            }
        }
    }

    /// §2.2 `IPs(sel)`: the address belongs to a workload or host endpoint whose effective labels
    /// match, or lies in a network set whose labels match.
    func addressMatches(_ selector: Selector, _ address: IPAddress) -> Bool {
        if set.owners(of: address).contains(where: { selector.matches($0.effectiveLabels) }) { return true }
        return set.networkSets(containing: address).contains { selector.matches($0.effectiveLabels) }
    }
}
