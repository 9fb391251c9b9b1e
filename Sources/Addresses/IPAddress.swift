// IP addresses and CIDR blocks as small value types: parsed strictly, printed canonically
// (dotted quad, RFC 5952 for IPv6), compared by value. Pure Swift, no sockets API.

public enum IPFamily: Int, Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    case v4 = 4
    case v6 = 6

    public var bitWidth: Int { self == .v4 ? 32 : 128 }
    public var description: String { self == .v4 ? "IPv4" : "IPv6" }
    public static func < (a: IPFamily, b: IPFamily) -> Bool { a.rawValue < b.rawValue }
}

/// An IPv4 or IPv6 address. IPv4 lives in the low 32 bits of `low` with `high == 0`; an
/// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is a different value from the IPv4 address,
/// as SEMANTICS §7.17 requires.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let family: IPFamily
    public let high: UInt64
    public let low: UInt64

    @inlinable
    public init(v4 value: UInt32) {
        family = .v4
        high = 0
        low = UInt64(value)
    }

    @inlinable
    public init(v6High high: UInt64, low: UInt64) {
        family = .v6
        self.high = high
        self.low = low
    }

    /// Parses `a.b.c.d` or any RFC 4291 IPv6 text form (including `::`, and a trailing dotted quad).
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseV6(Substring(text)) else { return nil }
            self.init(v6High: h, low: l)
        } else {
            guard let v = IPAddress.parseV4(Substring(text)) else { return nil }
            self.init(v4: v)
        }
    }

    /// The IPv4 value (meaningful only when `family == .v4`).
    @inlinable
    public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Bit `i` counted from the most significant bit of the address (0-based).
    public func bit(_ i: Int) -> Bool {
        switch family {
        case .v4: return (v4 >> UInt32(31 - i)) & 1 == 1
        case .v6: return i < 64 ? (high >> UInt64(63 - i)) & 1 == 1 : (low >> UInt64(127 - i)) & 1 == 1
        }
    }

    /// The address with every bit after the first `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        switch family {
        case .v4:
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
            return IPAddress(v4: v4 & mask)
        case .v6:
            let hm: UInt64 = prefixLength >= 64 ? ~0 : (prefixLength == 0 ? 0 : ~UInt64(0) << UInt64(64 - prefixLength))
            let lm: UInt64 = prefixLength <= 64 ? 0 : (prefixLength == 128 ? ~0 : ~UInt64(0) << UInt64(128 - prefixLength))
            return IPAddress(v6High: high & hm, low: low & lm)
        }
    }

    /// The 4 or 16 bytes in network order.
    public var bytes: [UInt8] {
        switch family {
        case .v4: return (0..<4).map { UInt8(truncatingIfNeeded: v4 >> UInt32(24 - 8 * $0)) }
        case .v6:
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * $0)) }
        }
    }

    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        if b.count == 4 {
            self.init(v4: b.reduce(0) { $0 << 8 | UInt32($1) })
        } else if b.count == 16 {
            self.init(v6High: b[0..<8].reduce(0) { $0 << 8 | UInt64($1) },
                      low: b[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
        } else {
            return nil
        }
    }

    public var description: String {
        switch family {
        case .v4:
            let v = v4
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        case .v6:
            return IPAddress.formatV6(high: high, low: low)
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.family, a.high, a.low) < (b.family, b.high, b.low)
    }

    // MARK: Parsing

    static func parseV4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            // Leading zeros are rejected, as Go's net.ParseIP does, so "010" is never read as octal or decimal.
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(p.count > 1 && p.first == "0"), let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    static func parseV6(_ s: Substring) -> (UInt64, UInt64)? {
        var text = String(s)
        // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two groups.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseV4(text[text.index(after: lastColon)...]) else { return nil }
            text = String(text[...lastColon]) + String(v4 >> 16, radix: 16) + ":" + String(v4 & 0xffff, radix: 16)
        }
        var all: [UInt16]
        if let at = doubleColon(in: text) {
            let before = text[..<at], after = text[text.index(at, offsetBy: 2)...]
            guard !after.contains("::"), let b = parseGroups(before), let a = parseGroups(after),
                  b.count + a.count <= 7 else { return nil }
            all = b + Array(repeating: 0, count: 8 - b.count - a.count) + a
        } else {
            guard let g = parseGroups(Substring(text)), g.count == 8 else { return nil }
            all = g
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(all[i]) }
        return (h, l)
    }

    private static func doubleColon(in s: String) -> String.Index? {
        var i = s.startIndex
        while i < s.endIndex {
            let n = s.index(after: i)
            if n < s.endIndex && s[i] == ":" && s[n] == ":" { return i }
            i = n
        }
        return nil
    }

    private static func parseGroups(_ s: Substring) -> [UInt16]? {
        if s.isEmpty { return [] }
        var out: [UInt16] = []
        for part in s.split(separator: ":", omittingEmptySubsequences: false) {
            guard (1...4).contains(part.count), part.allSatisfy({ $0.isHexDigit }), let v = UInt16(part, radix: 16) else { return nil }
            out.append(v)
        }
        return out
    }

    static func formatV6(high: UInt64, low: UInt64) -> String {
        // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad (`::ffff:1.2.3.4`).
        if high == 0 && low >> 32 == 0xffff {
            return "::ffff:" + IPAddress(v4: UInt32(truncatingIfNeeded: low)).description
        }
        var g = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 { g[i] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i)) }
        for i in 0..<4 { g[4 + i] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i)) }
        // RFC 5952: compress the longest run (first one on ties) of two or more zero groups.
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(g[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }
}

/// A CIDR block. `init(parsing:)` is strict like Calico's validator: the prefix length is required
/// and host bits must be zero; `init(lenient:)` masks them, as Kubernetes' ipBlock conversion does.
public struct CIDR: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address.masked(to: prefixLength)
        self.prefixLength = prefixLength
    }

    public enum ParseProblem: Error, Hashable, Sendable, CustomStringConvertible {
        case invalid
        case missingPrefixLength
        case hostBitsSet(canonical: String)
        public var description: String {
            switch self {
            case .invalid: return "invalid CIDR"
            case .missingPrefixLength: return "invalid CIDR (a prefix length is required, e.g. /32 or /128)"
            case let .hostBitsSet(c): return "invalid CIDR (host bits are set; did you mean \(c)?)"
            }
        }
    }

    /// Parses `addr/len`. With `requireCanonical`, host bits must be zero.
    public static func parse(_ text: some StringProtocol, requireCanonical: Bool) -> Result<CIDR, ParseProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1 {
            return IPAddress(parts[0]) == nil ? .failure(.invalid) : .failure(.missingPrefixLength)
        }
        guard parts.count == 2, let addr = IPAddress(parts[0]),
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), !parts[1].isEmpty, parts[1].count <= 3,
              let len = Int(parts[1]), len <= addr.family.bitWidth else { return .failure(.invalid) }
        let cidr = CIDR(address: addr, prefixLength: len)
        if requireCanonical && cidr.address != addr { return .failure(.hostBitsSet(canonical: cidr.description)) }
        return .success(cidr)
    }

    public var family: IPFamily { address.family }

    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && ip.masked(to: prefixLength) == address
    }

    /// True when every address of `other` is in `self`.
    public func contains(_ other: CIDR) -> Bool {
        other.family == family && other.prefixLength >= prefixLength && contains(other.address)
    }

    /// `0.0.0.0/0` or `::/0`.
    public var isCatchAll: Bool { prefixLength == 0 }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (a: CIDR, b: CIDR) -> Bool { (a.address, a.prefixLength) < (b.address, b.prefixLength) }
}
