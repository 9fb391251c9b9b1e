// A minimal pcapng writer (one section, several interfaces, enhanced packet blocks), mainly to
// build multi-interface test files that classic pcap cannot express.

import Packets

/// pcapng bytes, little-endian: a Section Header Block, Interface Description Blocks (each with
/// `if_tsresol` = 9, nanoseconds), and Enhanced Packet Blocks. Deterministic like
/// ``DeterministicPcapWriter``.
///
/// Interfaces may have different link types, as pcapng allows; note that libpcap then refuses
/// the file (``CaptureError/mixedLinkTypes(path:packetNumber:linkTypes:pcapMessage:)``).
public struct PcapngWriter: Sendable {
    /// The file so far.
    public private(set) var bytes: [UInt8] = []
    /// Interfaces added so far; packets name them by index.
    public private(set) var interfaceCount = 0
    public private(set) var packetCount = 0

    /// Starts a section.
    public init() {
        var body: [UInt8] = []
        body.appendLE32(0x1A2B_3C4D)  // byte-order magic
        body.appendLE16(1)  // major
        body.appendLE16(0)  // minor
        body.appendLE64(UInt64.max)  // section length: unspecified
        appendBlock(type: 0x0A0D_0D0A, body: body)
    }

    /// Adds an interface and returns its index.
    @discardableResult
    public mutating func addInterface(linkType: LinkType, snaplen: UInt32 = 262_144, name: String? = nil) -> Int {
        addInterface(linkTypeValue: linkType.rawValue, snaplen: snaplen, name: name)
    }

    /// Adds an interface with any `LINKTYPE_` value and returns its index.
    @discardableResult
    public mutating func addInterface(linkTypeValue: UInt32, snaplen: UInt32 = 262_144, name: String? = nil) -> Int {
        var body: [UInt8] = []
        body.appendLE16(UInt16(truncatingIfNeeded: linkTypeValue))
        body.appendLE16(0)
        body.appendLE32(snaplen)
        if let name {
            PcapngWriter.appendOption(&body, code: 2, value: Array(name.utf8))  // if_name
        }
        PcapngWriter.appendOption(&body, code: 9, value: [9])  // if_tsresol: 10^-9 s
        PcapngWriter.appendOption(&body, code: 0, value: [])  // opt_endofopt
        appendBlock(type: 1, body: body)
        interfaceCount += 1
        return interfaceCount - 1
    }

    /// Appends an Enhanced Packet Block on interface `interface`.
    public mutating func append(_ packet: [UInt8], interface: Int, seconds: UInt32, nanoseconds: UInt32,
                                originalLength: Int? = nil) {
        precondition(interface >= 0 && interface < interfaceCount, "no interface \(interface)")
        let ticks = UInt64(seconds) * 1_000_000_000 + UInt64(nanoseconds)
        var body: [UInt8] = []
        body.appendLE32(UInt32(interface))
        body.appendLE32(UInt32(truncatingIfNeeded: ticks >> 32))
        body.appendLE32(UInt32(truncatingIfNeeded: ticks))
        body.appendLE32(UInt32(packet.count))
        body.appendLE32(UInt32(max(originalLength ?? packet.count, packet.count)))
        body += packet
        while body.count % 4 != 0 { body.append(0) }
        appendBlock(type: 6, body: body)
        packetCount += 1
    }

    private mutating func appendBlock(type: UInt32, body: [UInt8]) {
        let total = UInt32(12 + body.count)
        bytes.appendLE32(type)
        bytes.appendLE32(total)
        bytes += body
        bytes.appendLE32(total)
    }

    private static func appendOption(_ body: inout [UInt8], code: UInt16, value: [UInt8]) {
        body.appendLE16(code)
        body.appendLE16(UInt16(value.count))
        body += value
        while body.count % 4 != 0 { body.append(0) }
    }
}
