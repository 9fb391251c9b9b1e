// The link-layer framings the parser understands, named by their pcap LINKTYPE_ numbers
// (https://www.tcpdump.org/linktypes.html), plus the platform DLT_ aliases libpcap reports.

/// A link-layer header type, identified by its pcap `LINKTYPE_` value (the number stored in
/// pcap and pcapng files).
///
/// libpcap's `pcap_datalink()` returns `DLT_` values, which differ from the file values for a few
/// types (raw IP is `LINKTYPE_RAW` 101 in files but `DLT_RAW` 12 on Linux, 14 on OpenBSD); use
/// ``init(dlt:)`` for those. A link type outside this list is not guessed at: callers report it
/// as an error (`PcapIO` names the DLT number and libpcap's name for it).
public enum LinkType: UInt32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// `LINKTYPE_NULL`: BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null = 0
    /// `LINKTYPE_ETHERNET` (`DLT_EN10MB`): Ethernet II, with any number of 802.1Q/802.1ad tags.
    case ethernet = 1
    /// `LINKTYPE_RAW`: a bare IPv4 or IPv6 packet; the version nibble says which.
    case raw = 101
    /// `LINKTYPE_LOOP`: OpenBSD loopback, a 4-byte address family in network byte order.
    case loop = 108
    /// `LINKTYPE_LINUX_SLL`: Linux "cooked" capture v1 (16-byte header, protocol at offset 14).
    case linuxSLL = 113
    /// `LINKTYPE_IPV4`: a bare IPv4 packet.
    case ipv4 = 228
    /// `LINKTYPE_IPV6`: a bare IPv6 packet.
    case ipv6 = 229
    /// `LINKTYPE_LINUX_SLL2`: Linux "cooked" capture v2 (20-byte header, protocol at offset 0).
    case linuxSLL2 = 276

    /// BSD loopback's other common name.
    public static let bsdLoopback = LinkType.null

    /// Maps a `DLT_` value, as returned by `pcap_datalink()`, to a link type.
    ///
    /// `DLT_RAW` is 12 everywhere except OpenBSD, where it is 14 (and 12 is `DLT_LOOP`); on other
    /// systems 14 is `DLT_PPP_BSDOS`, so it is only accepted on OpenBSD. The file value 101 is
    /// accepted too, since libpcap passes it through for files written with it.
    @inlinable
    public init?(dlt: UInt32) {
        switch dlt {
        #if os(OpenBSD)
        case 12: self = .loop
        case 14: self = .raw
        #else
        case 12: self = .raw
        #endif
        default:
            guard let t = LinkType(rawValue: dlt) else { return nil }
            self = t
        }
    }

    /// The `DLT_` value to hand to libpcap (`pcap_open_dead`), which turns it back into this
    /// `LINKTYPE_` value when writing a file.
    @inlinable
    public var dlt: UInt32 {
        switch self {
        #if os(OpenBSD)
        case .raw: return 14
        case .loop: return 12
        #else
        case .raw: return 12
        #endif
        default: return rawValue
        }
    }

    /// The bytes before the network-layer header, not counting VLAN tags.
    @inlinable
    public var headerLength: Int {
        switch self {
        case .ethernet: return 14
        case .linuxSLL: return 16
        case .linuxSLL2: return 20
        case .null, .loop: return 4
        case .raw, .ipv4, .ipv6: return 0
        }
    }

    /// libpcap's name for the link type, without the `DLT_` prefix.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .raw: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2"
        }
    }
}
