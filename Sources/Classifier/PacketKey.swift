// What the classifier looks at in a packet: addresses, protocol, and the keys of the port and
// ICMP dimensions. A plain value, filled from parsed headers without allocating.

import Addresses
import CVerdictABI
import Packets

public struct PacketKey: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    /// The source port, or VD_NO_PORT when the packet has no ports (not TCP/UDP/UDP-Lite/SCTP,
    /// a non-first fragment, or a header cut short).
    public var sourcePortKey: UInt32
    public var destinationPortKey: UInt32
    /// `type << 8 | code` of an ICMP/ICMPv6 packet whose header is present, else VD_NONE.
    public var icmpTypeCode: UInt32

    @inlinable
    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
                sourcePortKey: UInt32, destinationPortKey: UInt32, icmpTypeCode: UInt32) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePortKey = sourcePortKey
        self.destinationPortKey = destinationPortKey
        self.icmpTypeCode = icmpTypeCode
    }

    /// The key of a parsed packet (which must have reached the IP header).
    @inlinable
    public init(_ h: PacketHeaders) {
        source = h.src
        destination = h.dst
        protocolNumber = h.protocol
        if h.hasPorts {
            sourcePortKey = UInt32(h.srcPort)
            destinationPortKey = UInt32(h.dstPort)
        } else {
            sourcePortKey = VD_NO_PORT
            destinationPortKey = VD_NO_PORT
        }
        icmpTypeCode = h.isICMP && h.l4Present ? UInt32(h.icmpType) << 8 | UInt32(h.icmpCode) : VD_NONE
    }

    /// The key of a packet described field by field (probes, tests). Ports count only for
    /// TCP/UDP/UDP-Lite/SCTP and when given; ICMP type and code only for ICMP in IPv4 and ICMPv6
    /// in IPv6, and only when both are given.
    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16?, destinationPort: UInt16?,
                icmpType: UInt8?, icmpCode: UInt8?, isNonFirstFragment: Bool = false) {
        let hasPorts = [6, 17, 132, 136].contains(protocolNumber) && !isNonFirstFragment
        let isICMP = (protocolNumber == 1 && source.family == .v4) || (protocolNumber == 58 && source.family == .v6)
        self.init(source: source, destination: destination, protocolNumber: protocolNumber,
                  sourcePortKey: hasPorts ? sourcePort.map(UInt32.init) ?? VD_NO_PORT : VD_NO_PORT,
                  destinationPortKey: hasPorts ? destinationPort.map(UInt32.init) ?? VD_NO_PORT : VD_NO_PORT,
                  icmpTypeCode: isICMP && !isNonFirstFragment && icmpType != nil && icmpCode != nil
                      ? UInt32(icmpType!) << 8 | UInt32(icmpCode!) : VD_NONE)
    }
}
