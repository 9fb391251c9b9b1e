// Bounds-checked L2–L4 header parsing over a borrowed byte buffer: no allocation, no copies, no
// reference counting. Same contract as bpf/lib/parse.h: every read is preceded by an explicit
// length check against the captured bytes (or the IP datagram's own end, whichever is shorter),
// so truncated or hostile input can only produce an outcome, never an out-of-bounds read.
import Addresses

/// Parses link-layer, IP and transport headers into a ``PacketHeaders``.
///
/// ```swift
/// var headers = PacketHeaders()
/// let outcome = frame.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &headers) }
/// if outcome == .ok, let key = FlowKey(headers) { … }
/// ```
///
/// What is decoded:
/// 1. Link layer: Ethernet II with any number of 802.1Q (0x8100), 802.1ad (0x88a8) or legacy
///    QinQ (0x9100) tags (the first two VLAN IDs are kept); Linux SLL and SLL2; BSD/OpenBSD
///    loopback (address families 2 for IPv4, and 10, 24, 28, 30 for IPv6, in either byte order);
///    raw IP.
/// 2. IPv4 with options (IHL), fragment fields; the datagram ends at its total length, so
///    Ethernet padding is never read as payload (a total length of 0, as in TSO captures, means
///    "up to the end of the capture").
/// 3. IPv6 with up to ``maxExtensionHeaders`` extension headers: hop-by-hop (0), routing (43),
///    fragment (44), destination options (60) and AH (51) are skipped; ESP (50) and everything
///    else is the final protocol.
/// 4. TCP, UDP, UDP-Lite and SCTP ports and TCP flags; ICMP/ICMPv6 type, code, query identifier
///    and, for errors, the quoted packet's addresses, protocol and ports.
///
/// Non-first fragments stop after the IP header: ``PacketHeaders/l4Present`` is false.
public struct PacketParser: Sendable {
    /// Extension headers an IPv6 packet may carry before ``ParseOutcome/tooManyExtensionHeaders``.
    /// A bound keeps the loop (and its BPF twin, which the verifier must see terminate) short.
    @inlinable public static var maxExtensionHeaders: Int { 8 }

    /// Parses one frame of the given link type.
    ///
    /// - Parameters:
    ///   - bytes: the captured bytes, valid for the duration of the call.
    ///   - linkType: how the frame starts.
    ///   - headers: overwritten with the decoded fields (reset first, so it can be reused
    ///     across packets without allocation).
    /// - Returns: ``ParseOutcome/ok`` when an IP header was decoded; otherwise why not.
    @inlinable
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, linkType: LinkType, into headers: inout PacketHeaders
    ) -> ParseOutcome {
        headers = PacketHeaders()
        let n = bytes.count
        var off = 0
        var etherType: UInt16
        switch linkType {
        case .ethernet:
            guard n >= 14 else { return .truncatedL2 }
            etherType = _be16(bytes, 12)
            off = 14
        case .linuxSLL:
            guard n >= 16 else { return .truncatedL2 }
            etherType = _be16(bytes, 14)
            off = 16
        case .linuxSLL2:
            guard n >= 20 else { return .truncatedL2 }
            etherType = _be16(bytes, 0)
            off = 20
        case .null, .loop:
            // DLT_NULL is in the capturing host's byte order and DLT_LOOP in network order; real
            // families are small, so whichever reading fits in 16 bits is the right one.
            guard n >= 4 else { return .truncatedL2 }
            let raw = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let le = UInt32(littleEndian: raw)
            let family = le <= 0xFFFF ? le : UInt32(bigEndian: raw)
            switch family {
            case 2: etherType = 0x0800
            case 10, 24, 28, 30: etherType = 0x86DD
            default: return .notIP
            }
            off = 4
        case .raw:
            guard n >= 1 else { return .truncatedL3 }
            switch _u8(bytes, 0) >> 4 {
            case 4: etherType = 0x0800
            case 6: etherType = 0x86DD
            default: return .notIP
            }
        case .ipv4:
            etherType = 0x0800
        case .ipv6:
            etherType = 0x86DD
        }
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            guard n &- off >= 4 else { return .truncatedL2 }
            let vid = _be16(bytes, off) & 0x0FFF
            switch headers.vlanCount {
            case 0: headers.outerVLANID = vid
            case 1: headers.innerVLANID = vid
            default: break
            }
            if headers.vlanCount < 255 { headers.vlanCount &+= 1 }
            etherType = _be16(bytes, off &+ 2)
            off &+= 4
        }
        headers.etherType = etherType
        if etherType == 0x0800 { return _parseIPv4(bytes, off, &headers) }
        if etherType == 0x86DD { return _parseIPv6(bytes, off, &headers) }
        return .notIP
    }

    /// Parses a frame whose link type is given as a number: a `DLT_` value from
    /// `pcap_datalink()` or a `LINKTYPE_` value from a file header. An unknown number gives
    /// ``ParseOutcome/unsupportedLinkType``.
    @inlinable
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, dlt: UInt32, into headers: inout PacketHeaders
    ) -> ParseOutcome {
        guard let linkType = LinkType(dlt: dlt) else {
            headers = PacketHeaders()
            return .unsupportedLinkType
        }
        return parse(bytes, linkType: linkType, into: &headers)
    }

    // MARK: - Network layer

    @inlinable @inline(__always)
    static func _parseIPv4(_ b: UnsafeRawBufferPointer, _ off: Int, _ h: inout PacketHeaders) -> ParseOutcome {
        let n = b.count
        guard n &- off >= 20 else { return .truncatedL3 }
        let vihl = _u8(b, off)
        guard vihl >> 4 == 4 else { return .badIPVersion }
        let ihl = Int(vihl & 0x0F) &* 4
        guard ihl >= 20 else { return .badIHL }
        guard n &- off >= ihl else { return .truncatedL3 }
        let total = Int(_be16(b, off &+ 2))
        let datagramEnd: Int
        if total == 0 {
            datagramEnd = n
        } else {
            guard total >= ihl else { return .badTotalLength }
            datagramEnd = off &+ total
        }
        let end = Swift.min(n, datagramEnd)
        let frag = _be16(b, off &+ 6)
        let fragmentOffset = frag & 0x1FFF
        let more = frag & 0x2000 != 0
        let l4 = off &+ ihl
        h.ipVersion = 4
        h.ttl = _u8(b, off &+ 8)
        h.protocol = _u8(b, off &+ 9)
        h.ipID = UInt32(_be16(b, off &+ 4))
        h.src = IPAddress(v4: _be32(b, off &+ 12))
        h.dst = IPAddress(v4: _be32(b, off &+ 16))
        h.fragmentOffset = fragmentOffset
        h.moreFragments = more
        h.dontFragment = frag & 0x4000 != 0
        h.isFragment = fragmentOffset != 0 || more
        h.isFirstFragment = fragmentOffset == 0 && more
        h.l3Offset = UInt32(truncatingIfNeeded: off)
        h.l4Offset = UInt32(truncatingIfNeeded: l4)
        h.l4Length = UInt32(truncatingIfNeeded: datagramEnd &- l4)
        if fragmentOffset == 0 { _parseL4(b, l4, end, &h) }
        return .ok
    }

    @inlinable @inline(__always)
    static func _parseIPv6(_ b: UnsafeRawBufferPointer, _ off: Int, _ h: inout PacketHeaders) -> ParseOutcome {
        let n = b.count
        guard n &- off >= 40 else { return .truncatedL3 }
        guard _u8(b, off) >> 4 == 6 else { return .badIPVersion }
        let payloadLength = Int(_be16(b, off &+ 4))
        // A payload length of 0 is a jumbogram (or a TSO capture): the datagram runs to the end.
        let datagramEnd = payloadLength == 0 ? n : off &+ 40 &+ payloadLength
        let end = Swift.min(n, datagramEnd)
        var walk = _IPv6Walk()
        let r = _walkIPv6Extensions(b, off &+ 40, end, _u8(b, off &+ 6), &walk)
        guard r == .ok else { return r }
        h.ipVersion = 6
        h.ttl = _u8(b, off &+ 7)
        h.src = IPAddress(v6High: _be64(b, off &+ 8), low: _be64(b, off &+ 16))
        h.dst = IPAddress(v6High: _be64(b, off &+ 24), low: _be64(b, off &+ 32))
        h.protocol = walk.next
        h.l3Offset = UInt32(truncatingIfNeeded: off)
        h.l4Offset = UInt32(truncatingIfNeeded: walk.offset)
        h.l4Length = UInt32(truncatingIfNeeded: Swift.max(0, datagramEnd &- walk.offset))
        if walk.sawFragmentHeader {
            h.ipID = walk.identification
            h.fragmentOffset = walk.fragmentOffset
            h.moreFragments = walk.moreFragments
            h.isFragment = walk.fragmentOffset != 0 || walk.moreFragments
            h.isFirstFragment = walk.fragmentOffset == 0 && walk.moreFragments
        }
        if walk.fragmentOffset == 0 { _parseL4(b, walk.offset, end, &h) }
        return .ok
    }

    /// Where an IPv6 extension-header walk ended.
    @usableFromInline
    struct _IPv6Walk {
        @usableFromInline var next: UInt8 = 0
        @usableFromInline var offset: Int = 0
        @usableFromInline var sawFragmentHeader = false
        @usableFromInline var fragmentOffset: UInt16 = 0
        @usableFromInline var moreFragments = false
        @usableFromInline var identification: UInt32 = 0
        @inlinable init() {}
    }

    /// Skips hop-by-hop, routing, destination-options, AH and fragment headers. An extension
    /// header counts as part of L3: one that is not captured in full is ``ParseOutcome/truncatedL3``.
    /// Stops right after a fragment header with a non-zero offset (what follows is not a header).
    @inlinable @inline(__always)
    static func _walkIPv6Extensions(
        _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ first: UInt8, _ w: inout _IPv6Walk
    ) -> ParseOutcome {
        var p = start
        var next = first
        var count = 0
        while true {
            switch next {
            case 0, 43, 60:
                guard end &- p >= 8 else { return .truncatedL3 }
                let length = (Int(_u8(b, p &+ 1)) &+ 1) &* 8
                guard end &- p >= length else { return .truncatedL3 }
                next = _u8(b, p)
                p &+= length
            case 51:
                // AH counts its length in 4-byte units, minus 2.
                guard end &- p >= 8 else { return .truncatedL3 }
                let length = (Int(_u8(b, p &+ 1)) &+ 2) &* 4
                guard end &- p >= length else { return .truncatedL3 }
                next = _u8(b, p)
                p &+= length
            case 44:
                guard end &- p >= 8 else { return .truncatedL3 }
                next = _u8(b, p)
                let fo = _be16(b, p &+ 2)
                w.sawFragmentHeader = true
                w.fragmentOffset = fo >> 3
                w.moreFragments = fo & 1 != 0
                w.identification = _be32(b, p &+ 4)
                p &+= 8
                if w.fragmentOffset != 0 {
                    w.next = next
                    w.offset = p
                    return .ok
                }
            default:
                w.next = next
                w.offset = p
                return .ok
            }
            count &+= 1
            if count > maxExtensionHeaders { return .tooManyExtensionHeaders }
        }
    }

    // MARK: - Transport layer

    @inlinable @inline(__always)
    static func _parseL4(_ b: UnsafeRawBufferPointer, _ p: Int, _ end: Int, _ h: inout PacketHeaders) {
        let avail = end &- p
        switch h.protocol {
        case 6:
            guard avail >= 20 else { return }
            h.srcPort = _be16(b, p)
            h.dstPort = _be16(b, p &+ 2)
            h.tcpFlags = _u8(b, p &+ 13)
            h.l4Present = true
        case 17, 136:
            guard avail >= 8 else { return }
            h.srcPort = _be16(b, p)
            h.dstPort = _be16(b, p &+ 2)
            h.l4Present = true
        case 132:
            guard avail >= 12 else { return }
            h.srcPort = _be16(b, p)
            h.dstPort = _be16(b, p &+ 2)
            h.l4Present = true
        case 1 where h.ipVersion == 4, 58 where h.ipVersion == 6:
            guard avail >= 8 else { return }
            let type = _u8(b, p)
            h.icmpType = type
            h.icmpCode = _u8(b, p &+ 1)
            h.l4Present = true
            if PacketHeaders.isQuery(version: h.ipVersion, protocol: h.protocol, type: type) {
                h.icmpEchoID = _be16(b, p &+ 4)
                h.icmpEchoSequence = _be16(b, p &+ 6)
            } else if PacketHeaders.isError(version: h.ipVersion, protocol: h.protocol, type: type) {
                h.hasEmbedded = _parseEmbedded(b, p &+ 8, end, &h.embedded)
            }
        default:
            h.l4Present = true
        }
    }

    /// Decodes the packet quoted in an ICMP error. Only its IP header must be complete; its L4
    /// fields are filled when present (RFC 792 guarantees 8 bytes, enough for ports or an echo id).
    @inlinable
    static func _parseEmbedded(
        _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ e: inout EmbeddedHeaders
    ) -> Bool {
        let avail = end &- start
        guard avail >= 1 else { return false }
        let version = _u8(b, start) >> 4
        var q: Int
        if version == 4 {
            guard avail >= 20 else { return false }
            let ihl = Int(_u8(b, start) & 0x0F) &* 4
            guard ihl >= 20, avail >= ihl else { return false }
            e.ipVersion = 4
            e.protocol = _u8(b, start &+ 9)
            e.src = IPAddress(v4: _be32(b, start &+ 12))
            e.dst = IPAddress(v4: _be32(b, start &+ 16))
            if _be16(b, start &+ 6) & 0x1FFF != 0 {
                e.isNonFirstFragment = true
                return true
            }
            q = start &+ ihl
        } else if version == 6 {
            guard avail >= 40 else { return false }
            var walk = _IPv6Walk()
            guard _walkIPv6Extensions(b, start &+ 40, end, _u8(b, start &+ 6), &walk) == .ok else { return false }
            e.ipVersion = 6
            e.protocol = walk.next
            e.src = IPAddress(v6High: _be64(b, start &+ 8), low: _be64(b, start &+ 16))
            e.dst = IPAddress(v6High: _be64(b, start &+ 24), low: _be64(b, start &+ 32))
            if walk.fragmentOffset != 0 {
                e.isNonFirstFragment = true
                return true
            }
            q = walk.offset
        } else {
            return false
        }
        let a = end &- q
        switch e.protocol {
        case 6, 17, 132, 136:
            guard a >= 4 else { break }
            e.srcPort = _be16(b, q)
            e.dstPort = _be16(b, q &+ 2)
            e.l4Present = true
        case 1 where version == 4, 58 where version == 6:
            guard a >= 8 else { break }
            e.icmpType = _u8(b, q)
            e.icmpCode = _u8(b, q &+ 1)
            e.l4Present = true
            if PacketHeaders.isQuery(version: version, protocol: e.protocol, type: e.icmpType) {
                e.icmpEchoID = _be16(b, q &+ 4)
            }
        default:
            e.l4Present = true
        }
        return true
    }

    // MARK: - Loads (callers check bounds first)

    @inlinable @inline(__always)
    static func _u8(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt8 {
        b.load(fromByteOffset: o, as: UInt8.self)
    }

    @inlinable @inline(__always)
    static func _be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }

    @inlinable @inline(__always)
    static func _be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }

    @inlinable @inline(__always)
    static func _be64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
}
