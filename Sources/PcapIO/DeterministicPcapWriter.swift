// Classic pcap built in memory, byte for byte from what the caller gives: no clock, no libpcap,
// so capture generators reproduce their files exactly on any machine.

import Packets

/// Classic pcap bytes (little-endian, nanosecond magic `0xa1b23c4d`, version 2.4).
///
/// The file is a 24-byte global header followed by one 16-byte record header plus data per
/// packet. Every field comes from the caller, so the same calls always give the same bytes.
///
/// ```swift
/// var pcap = DeterministicPcapWriter(linkType: .ethernet)
/// pcap.append(frame, seconds: 1_700_000_000, nanoseconds: 1)
/// try Data(pcap.bytes).write(to: url)
/// ```
public struct DeterministicPcapWriter: Sendable {
    /// The file so far.
    public private(set) var bytes: [UInt8]
    /// The `LINKTYPE_` value in the header.
    public let linkTypeValue: UInt32
    public let snaplen: UInt32
    public private(set) var packetCount = 0

    /// A file of one of the supported link types.
    public init(linkType: LinkType, snaplen: UInt32 = 262_144) {
        self.init(linkTypeValue: linkType.rawValue, snaplen: snaplen)
    }

    /// A file with any `LINKTYPE_` value (for example to test how readers treat unknown ones).
    public init(linkTypeValue: UInt32, snaplen: UInt32 = 262_144) {
        self.linkTypeValue = linkTypeValue
        self.snaplen = snaplen
        var header: [UInt8] = []
        header.reserveCapacity(24)
        header.appendLE32(0xA1B2_3C4D)  // nanosecond-resolution magic
        header.appendLE16(2)
        header.appendLE16(4)
        header.appendLE32(0)  // thiszone
        header.appendLE32(0)  // sigfigs
        header.appendLE32(snaplen)
        header.appendLE32(linkTypeValue)
        bytes = header
    }

    /// Appends a record. Data beyond the snapshot length is cut; `originalLength` defaults to
    /// the packet's length.
    public mutating func append(_ packet: [UInt8], seconds: UInt32, nanoseconds: UInt32, originalLength: Int? = nil) {
        precondition(nanoseconds < 1_000_000_000, "nanoseconds must be below 1e9")
        let caplen = min(packet.count, Int(snaplen))
        bytes.appendLE32(seconds)
        bytes.appendLE32(nanoseconds)
        bytes.appendLE32(UInt32(caplen))
        bytes.appendLE32(UInt32(max(originalLength ?? packet.count, caplen)))
        bytes += packet.prefix(caplen)
        packetCount += 1
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE16(_ v: UInt16) {
        append(UInt8(v & 0xFF))
        append(UInt8(v >> 8))
    }

    mutating func appendLE32(_ v: UInt32) {
        append(UInt8(v & 0xFF))
        append(UInt8((v >> 8) & 0xFF))
        append(UInt8((v >> 16) & 0xFF))
        append(UInt8(v >> 24))
    }

    mutating func appendLE64(_ v: UInt64) {
        appendLE32(UInt32(truncatingIfNeeded: v))
        appendLE32(UInt32(truncatingIfNeeded: v >> 32))
    }
}
