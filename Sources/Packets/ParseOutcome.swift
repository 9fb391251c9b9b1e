// Why a packet could not be classified, as a closed set of reasons that replay can count.

/// The result of ``PacketParser/parse(_:linkType:into:)``.
///
/// Everything other than ``ok`` means the packet has no usable IP header: the fields of
/// ``PacketHeaders`` past the link layer are unset. A packet whose *L4* header is cut short is
/// still ``ok``; it reports ``PacketHeaders/l4Present`` as false instead, because it can still be
/// matched on addresses and protocol.
public enum ParseOutcome: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The network-layer header (and any IPv6 extension headers) was read.
    case ok
    /// The link-layer header, or a VLAN tag, is cut short.
    case truncatedL2
    /// The frame carries something other than IPv4/IPv6: ARP, LLDP, an 802.3 length field, an
    /// unknown EtherType or loopback address family, or a raw-IP packet whose version is not 4 or 6.
    case notIP
    /// The IPv4 header (with options) or the IPv6 header and its extension headers are cut short.
    case truncatedL3
    /// The IP version nibble disagrees with the link layer (EtherType 0x0800 carrying version 6,
    /// `LINKTYPE_IPV4` carrying version 5, …).
    case badIPVersion
    /// IPv4 IHL below 5 (a header shorter than 20 bytes).
    case badIHL
    /// IPv4 total length shorter than the header length the IHL announces.
    case badTotalLength
    /// More IPv6 extension headers than ``PacketParser/maxExtensionHeaders``.
    case tooManyExtensionHeaders
    /// A link-layer type number the parser does not decode (see ``PacketParser/parse(_:dlt:into:)``).
    case unsupportedLinkType

    /// True for ``ok``.
    @inlinable public var isOK: Bool { self == .ok }

    /// A short stable name for counters and reports (`truncated-l2`, `not-ip`, …).
    public var description: String {
        switch self {
        case .ok: return "ok"
        case .truncatedL2: return "truncated-l2"
        case .notIP: return "not-ip"
        case .truncatedL3: return "truncated-l3"
        case .badIPVersion: return "bad-ip-version"
        case .badIHL: return "bad-ihl"
        case .badTotalLength: return "bad-total-length"
        case .tooManyExtensionHeaders: return "too-many-extension-headers"
        case .unsupportedLinkType: return "unsupported-link-type"
        }
    }
}
