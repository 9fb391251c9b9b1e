// An IPv4 or IPv6 address as a small fixed-size value, cheap enough to fill from a packet on the
// fast path (two loads, no allocation), with strict text parsing and RFC 5952 printing for tests,
// dumps and error messages.

/// An IPv4 or IPv6 address.
///
/// The 16 address bytes live in two big-endian-ordered words: `high` holds bytes 0–7 and `low`
/// bytes 8–15 of an IPv6 address. An IPv4 address is stored as its 4 bytes in the low 32 bits of
/// `low` with `high == 0`, and `family == .v4`. The family is part of the value, so the IPv4
/// address `1.2.3.4`, the IPv6 address `::102:304` and the IPv4-mapped address `::ffff:1.2.3.4`
/// are three different addresses (SEMANTICS §7.17).
///
/// Ordering puts every IPv4 address before every IPv6 address, then compares numerically.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The address family.
    public enum Family: UInt8, Hashable, Comparable, Sendable, CustomStringConvertible {
        case v4 = 4
        case v6 = 6

        /// 32 or 128.
        @inlinable public var bitWidth: Int { self == .v4 ? 32 : 128 }
        /// 4 or 16.
        @inlinable public var byteCount: Int { self == .v4 ? 4 : 16 }
        public var description: String { self == .v4 ? "IPv4" : "IPv6" }
        public static func < (a: Family, b: Family) -> Bool { a.rawValue < b.rawValue }
    }

    /// Bytes 0–7 of an IPv6 address, most significant first; 0 for IPv4.
    public let high: UInt64
    /// Bytes 8–15 of an IPv6 address, or the IPv4 address in the low 32 bits.
    public let low: UInt64
    /// `.v4` or `.v6`.
    public let family: Family

    /// `0.0.0.0`, the value of an address field that was never filled in.
    public static let zeroV4 = IPAddress(v4: 0)
    /// `::`.
    public static let zeroV6 = IPAddress(v6High: 0, low: 0)

    /// An IPv4 address from its 32-bit value in host order (`0x0a000001` is `10.0.0.1`).
    @inlinable
    public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        family = .v4
    }

    /// An IPv6 address from its two 64-bit halves in host order.
    @inlinable
    public init(v6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        family = .v6
    }

    /// An address from its 4 (IPv4) or 16 (IPv6) network-order bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        var words: (UInt64, UInt64) = (0, 0)
        var i = 0
        for b in bytes {
            if i < 8 { words.0 = words.0 << 8 | UInt64(b) } else { words.1 = words.1 << 8 | UInt64(b) }
            i += 1
            if i > 16 { return nil }
        }
        switch i {
        case 4: self.init(v4: UInt32(truncatingIfNeeded: words.0))
        case 16: self.init(v6High: words.0, low: words.1)
        default: return nil
        }
    }

    /// Parses a dotted quad (`10.0.0.1`; no leading zeros, as Go's `net.ParseIP`) or any RFC 4291
    /// IPv6 text form (`::`, mixed `::ffff:1.2.3.4`, any hex case). Zone suffixes (`%eth0`),
    /// brackets and prefix lengths are rejected.
    public init?(_ text: String) {
        if text.utf8.contains(UInt8(ascii: ":")) {
            guard let (h, l) = IPAddress.parseV6(text.utf8) else { return nil }
            self.init(v6High: h, low: l)
        } else {
            guard let v = IPAddress.parseV4(Substring(text).utf8) else { return nil }
            self.init(v4: v)
        }
    }

    /// The IPv4 value in host order (meaningful only when `family == .v4`).
    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// True for an IPv4 address.
    @inlinable public var isV4: Bool { family == .v4 }

    /// The 4 or 16 bytes in network order.
    public var bytes: [UInt8] {
        switch family {
        case .v4:
            return (0..<4).map { UInt8(truncatingIfNeeded: v4 >> UInt32(24 - 8 * $0)) }
        case .v6:
            return (0..<16).map { i in
                let w = i < 8 ? high : low
                return UInt8(truncatingIfNeeded: w >> UInt64(56 - 8 * (i % 8)))
            }
        }
    }

    /// Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, no leading zeros, the longest
    /// run of two or more zero groups compressed to `::`, the first such run on a tie, and the
    /// IPv4-mapped range `::ffff:0:0/96` printed in mixed notation as RFC 5952 §5 recommends).
    public var description: String {
        switch family {
        case .v4:
            return IPAddress.formatV4(v4)
        case .v6:
            return IPAddress.formatV6(high: high, low: low)
        }
    }

    @inlinable
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family < b.family }
        if a.high != b.high { return a.high < b.high }
        return a.low < b.low
    }

    // MARK: Text

    static func formatV4(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
    }

    static func formatV6(high: UInt64, low: UInt64) -> String {
        if high == 0 && low >> 32 == 0xffff {
            return "::ffff:" + formatV4(UInt32(truncatingIfNeeded: low))
        }
        var g = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            g[i] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i))
            g[4 + i] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i))
        }
        var bestStart = -1, bestLen = 1, i = 0
        while i < 8 {
            guard g[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && g[j] == 0 { j += 1 }
            if j - i > bestLen { bestStart = i; bestLen = j - i }
            i = j
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(g[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }

    static func parseV4(_ s: Substring.UTF8View) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for c in s {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                value = value << 8 | current
                parts += 1
                current = 0
                digits = 0
                continue
            }
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            if digits == 0 { leadingZero = c == UInt8(ascii: "0") } else if leadingZero { return nil }
            current = current * 10 + UInt32(c - UInt8(ascii: "0"))
            digits += 1
            guard digits <= 3, current <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ s: String.UTF8View) -> (UInt64, UInt64)? {
        let bytes = Array(s)
        var groups: [UInt16] = []
        var gapAt: Int? = nil
        var i = 0
        let n = bytes.count
        if n >= 2 && bytes[0] == UInt8(ascii: ":") && bytes[1] == UInt8(ascii: ":") {
            gapAt = 0
            i = 2
        } else if n >= 1 && bytes[0] == UInt8(ascii: ":") {
            return nil
        }
        while i < n {
            // One group, or a trailing dotted quad standing for the last two groups.
            var j = i
            var v: UInt32 = 0
            while j < n, let d = hexValue(bytes[j]) {
                v = v << 4 | UInt32(d)
                j += 1
                if j - i > 4 { break }
            }
            if j < n && bytes[j] == UInt8(ascii: ".") {
                guard let q = parseV4(Substring(decoding: bytes[i...], as: UTF8.self).utf8) else { return nil }
                groups.append(UInt16(q >> 16))
                groups.append(UInt16(q & 0xffff))
                i = n
                break
            }
            guard j > i, j - i <= 4 else { return nil }
            groups.append(UInt16(v))
            i = j
            if i == n { break }
            guard bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < n && bytes[i] == UInt8(ascii: ":") {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                i += 1
                if i == n { break }
            } else if i == n {
                return nil  // a trailing single colon
            }
        }
        if let gap = gapAt {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(groups[k]) }
        for k in 4..<8 { l = l << 16 | UInt64(groups[k]) }
        return (h, l)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
