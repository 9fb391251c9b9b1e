// Turns a probe (endpoints by name and/or addresses) into a packet and the two parties.

import Addresses
import PolicyModel

public struct ResolvedProbe: Sendable {
    public var spec: ProbeSpec
    public var packet: Packet
    public var source: Party
    public var destination: Party
}

extension ReferenceEvaluator {
    public func resolve(_ probe: ProbeSpec) throws(InputError) -> ResolvedProbe {
        let srcEndpoint = try lookup(probe.source, field: "src")
        let dstEndpoint = try lookup(probe.destination, field: "dst")

        // The family: from explicit addresses, else from the protocol, else IPv4 when both ends have one.
        var family: IPFamily
        if let f = probe.source.ip?.family ?? probe.destination.ip?.family {
            family = f
        } else if probe.protocolNumber == 58 {
            family = .v6
        } else if probe.protocolNumber == 1 {
            family = .v4
        } else {
            let ends = [srcEndpoint, dstEndpoint].compactMap { $0 }
            family = ends.allSatisfy({ $0.address(of: .v4) != nil }) ? .v4 : .v6
        }
        if let a = probe.source.ip, let b = probe.destination.ip, a.family != b.family {
            throw InputError(probe.location, field: "dst.ip", "src.ip is \(a.family) but dst.ip is \(b.family)")
        }
        func address(_ side: ProbeSide, _ ep: Endpoint?, _ field: String) throws(InputError) -> IPAddress {
            if let ip = side.ip { return ip }
            guard let ep, let a = ep.address(of: family) else {
                throw InputError(side.location, field: field, "endpoint \(side.endpoint ?? "?") has no \(family) address")
            }
            return a
        }
        let src = try address(probe.source, srcEndpoint, "src")
        let dst = try address(probe.destination, dstEndpoint, "dst")
        let packet = Packet(source: src, destination: dst, protocolNumber: probe.protocolNumber, sourcePort: probe.sourcePort,
                            destinationPort: probe.port, icmpType: probe.icmpType, icmpCode: probe.icmpCode)
        return ResolvedProbe(spec: probe, packet: packet,
                             source: srcEndpoint.map(party(for:)) ?? party(for: src),
                             destination: dstEndpoint.map(party(for:)) ?? party(for: dst))
    }

    private func lookup(_ side: ProbeSide, field: String) throws(InputError) -> Endpoint? {
        guard let name = side.endpoint else { return nil }
        guard let ep = policySet.endpoint(id: name) else {
            if let inactive = policySet.inactiveEndpoints.first(where: { $0.id == name }) {
                throw InputError(side.location, field: "\(field).endpoint", "\(name) is not a policy endpoint: \(inactive.reason)")
            }
            let near = policySet.endpoints.map(\.id).min { editDistance($0, name) < editDistance($1, name) }
            let hint = near.map { " (did you mean '\($0)'?)" } ?? ""
            throw InputError(side.location, field: "\(field).endpoint",
                             "no endpoint '\(name)' in the inventory\(hint); use ns/name for workloads and hostendpoint:NAME for host endpoints")
        }
        if let ip = side.ip, !ep.addresses.contains(ip) {
            throw InputError(side.location, field: "\(field).ip", "\(ip) is not an address of \(name) (its addresses: \(ep.addresses.map(\.description).joined(separator: ", ")))")
        }
        return ep
    }
}
