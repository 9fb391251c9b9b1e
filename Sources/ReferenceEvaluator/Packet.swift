// The packet an evaluation is about: the first packet of a new connection, as policy sees it.

import Addresses
import PolicyModel

public struct Packet: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    /// Nil when the protocol has no ports, or the probe did not give one.
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    /// A non-first IP fragment carries no L4 header, so it never matches port or ICMP criteria (§7.7).
    public var isNonFirstFragment = false

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16? = nil,
                destinationPort: UInt16? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.icmpType = icmpType
        self.icmpCode = icmpCode
    }

    public var family: IPFamily { source.family }
    public var hasPorts: Bool { [6, 17, 132, 136].contains(protocolNumber) && !isNonFirstFragment }
    public var isICMP: Bool { (protocolNumber == 1 && family == .v4) || (protocolNumber == 58 && family == .v6) }

    /// ICMP errors that conntrack relates to an existing flow (v4 3, 4, 5, 11, 12; v6 1–4), and echo
    /// replies: without a tracked flow Linux conntrack classes them INVALID and drops them before policy.
    public var isICMPWithoutOwnFlow: Bool {
        guard isICMP, let t = icmpType else { return false }
        return family == .v4 ? [0, 3, 4, 5, 11, 12].contains(t) : [1, 2, 3, 4, 129].contains(t)
    }

    public var description: String {
        let proto = ProtocolSpec.displayName(protocolNumber)
        func side(_ ip: IPAddress, _ port: UInt16?) -> String {
            guard let port else { return "\(ip)" }
            return ip.family == .v6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        var s = "\(proto) \(side(source, sourcePort)) → \(side(destination, destinationPort))"
        if let t = icmpType { s += " type \(t)" + (icmpCode.map { " code \($0)" } ?? "") }
        return s
    }
}
