// IPAddress: strict parsing, RFC 5952 printing, masking, bit access, ordering, bytes.

import Testing
@testable import Addresses

@Suite("IPAddress")
struct IPAddressTests {
    // MARK: Parsing and canonical text

    @Test("IPv4 dotted quad parses and prints unchanged", arguments: [
        "0.0.0.0", "10.0.0.1", "127.0.0.1", "192.168.255.254", "255.255.255.255", "1.2.3.4",
    ])
    func ipv4RoundTrip(_ text: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.family == .v4)
        #expect(a.high == 0)
        #expect(a.description == text)
    }

    @Test("IPv4 value layout: the address lives in the low 32 bits")
    func ipv4Value() throws {
        let a = try #require(IPAddress("10.1.2.3"))
        #expect(a.v4 == 0x0A01_0203)
        #expect(a.low == 0x0A01_0203)
        #expect(IPAddress(v4: 0xC0A8_0001).description == "192.168.0.1")
    }

    @Test("IPv6 canonical text follows RFC 5952", arguments: [
        // §4.2.1/§4.3: `::` for the longest zero run, lower case, no leading zeros.
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:DB8::ABCD", "2001:db8::abcd"),
        ("::", "::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("1::", "1::"),
        ("fe80::1:2", "fe80::1:2"),
        ("0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"),
        // §4.2.2: a single zero group is not compressed.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        // §4.2.3: the longest run is compressed; on a tie, the first one.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ("0:0:1:0:0:0:0:2", "0:0:1::2"),
        ("1:0:0:0:2:0:0:0", "1::2:0:0:0"),
        // An embedded dotted quad stands for the last two groups.
        ("::1.2.3.4", "::102:304"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
    ])
    func ipv6Canonical(_ input: String, _ expected: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.family == .v6)
        #expect(a.description == expected)
        #expect(IPAddress(a.description) == a, "canonical text parses back to the same value")
    }

    @Test("IPv4-mapped addresses print in mixed notation (RFC 5952 §5)", arguments: [
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::FFFF:0102:0304", "::ffff:1.2.3.4"),
        ("0:0:0:0:0:ffff:192.168.0.1", "::ffff:192.168.0.1"),
    ])
    func ipv4MappedMixedNotation(_ input: String, _ expected: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.family == .v6)
        #expect(a.high == 0 && a.low >> 32 == 0xffff)
        #expect(a.description == expected)
        #expect(IPAddress(a.description) == a)
    }

    @Test("the dotted-quad part of an IPv6 address is parsed into the right bits")
    func embeddedDottedQuadValue() throws {
        let a = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(a.high == 0)
        #expect(a.low == 0x0000_FFFF_0102_0304)
        #expect(IPAddress("::ffff:0102:0304") == a)
    }

    @Test("IPv6 value layout: high and low 64-bit halves")
    func ipv6Value() throws {
        let a = try #require(IPAddress("2001:db8::ff00:42:8329"))
        #expect(a.high == 0x2001_0DB8_0000_0000)
        #expect(a.low == 0x0000_FF00_0042_8329)
        #expect(IPAddress(v6High: 0x2001_0DB8_0000_0000, low: 1).description == "2001:db8::1")
    }

    @Test("malformed IPv4 text is rejected", arguments: [
        "", "1", "1.2.3", "1.2.3.4.5", "1.2.3.256", "256.0.0.0", "1..2.3", ".1.2.3", "1.2.3.",
        // Leading zeros are rejected (Go net.ParseIP), so nothing is read as octal.
        "01.2.3.4", "1.02.3.4", "1.2.3.00", "010.0.0.1",
        "1.2.3.-4", "1.2.3.+4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/32", "a.b.c.d", "1.2.3.0x4", "1234.1.1.1",
        "١.٢.٣.٤",
    ])
    func rejectsBadIPv4(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("malformed IPv6 text is rejected", arguments: [
        "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
        ":1::", "1:", ":", ":::", "1:::2", "12345::", "g::", "::g", "fe80::1%eth0", "[::1]",
        "::ffff:1.2.3", "::ffff:1.2.3.4:5", "1.2.3.4::", "::ffff:01.2.3.4", "::ffff:1.2.3.256",
        "1:2:3:4:5:6:7:1.2.3.4", "::1 ", " ::1", "::/0",
    ])
    func rejectsBadIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("a sign in an IPv6 group is rejected", arguments: ["+1::", "::+1", "::-0", "1:+2::", "-1::"])
    func rejectsSignedIPv6Groups(_ text: String) {
        // `UInt16(_:radix:)` accepts a leading '+' or '-'; hex groups must be 1–4 hex digits only.
        #expect(IPAddress(text) == nil)
    }

    @Test("Substring input works like String input")
    func substringInput() throws {
        let text = "x10.0.0.1y"
        let sub = text.dropFirst().dropLast()
        #expect(IPAddress(sub) == IPAddress("10.0.0.1"))
    }

    // MARK: Families and equality

    @Test("IPv4, IPv4-compatible and IPv4-mapped addresses are distinct values (SEMANTICS §7.17)")
    func familyIsPartOfTheValue() throws {
        let plain = try #require(IPAddress("1.2.3.4"))
        let compatible = try #require(IPAddress("::1.2.3.4"))
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(plain != compatible)
        #expect(plain != mapped)
        #expect(compatible != mapped)
        #expect(Set([plain, compatible, mapped]).count == 3)
        #expect(IPAddress("0.0.0.0") != IPAddress("::"))
    }

    @Test("IPFamily: bit widths, descriptions, order")
    func family() {
        #expect(IPFamily.v4.bitWidth == 32)
        #expect(IPFamily.v6.bitWidth == 128)
        #expect(IPFamily.v4.description == "IPv4")
        #expect(IPFamily.v6.description == "IPv6")
        #expect(IPFamily.v4 < IPFamily.v6)
        #expect(IPFamily(rawValue: 6) == .v6)
    }

    // MARK: Masking and bits

    @Test("IPv4 masking", arguments: [
        ("10.1.2.3", 0, "0.0.0.0"), ("10.1.2.3", 8, "10.0.0.0"), ("10.1.2.3", 16, "10.1.0.0"),
        ("10.1.2.3", 31, "10.1.2.2"), ("10.1.2.3", 32, "10.1.2.3"), ("255.255.255.255", 1, "128.0.0.0"),
        ("192.168.77.200", 20, "192.168.64.0"),
    ])
    func maskV4(_ text: String, _ length: Int, _ expected: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.masked(to: length).description == expected)
    }

    @Test("IPv6 masking across the 64-bit halves", arguments: [
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 63, "ffff:ffff:ffff:fffe::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64, "ffff:ffff:ffff:ffff::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65, "ffff:ffff:ffff:ffff:8000::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("2001:db8:1234:5678::1", 48, "2001:db8:1234::"),
    ])
    func maskV6(_ text: String, _ length: Int, _ expected: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.masked(to: length).description == expected)
        #expect(a.masked(to: length).family == .v6)
    }

    @Test("bit(i) counts from the most significant bit")
    func bits() throws {
        let v4 = try #require(IPAddress("128.0.0.1"))
        #expect(v4.bit(0))
        #expect(!v4.bit(1))
        #expect(v4.bit(31))
        #expect(!v4.bit(30))
        let v6 = try #require(IPAddress("8000::1:0:0:1"))
        #expect(v6.bit(0))
        #expect(!v6.bit(63))
        #expect(v6.bit(79))   // group 4 (bits 64–79) is 0x0001
        #expect(v6.bit(127))
        #expect(!v6.bit(126))
    }

    // MARK: Bytes

    @Test("bytes are in network order and round-trip", arguments: [
        "0.0.0.0", "10.1.2.3", "255.255.255.255", "::", "::1", "2001:db8::ff00:42:8329",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4", "fe80::1:2:3:4",
    ])
    func bytesRoundTrip(_ text: String) throws {
        let a = try #require(IPAddress(text))
        let b = a.bytes
        #expect(b.count == (a.family == .v4 ? 4 : 16))
        #expect(IPAddress(bytes: b) == a)
        #expect(IPAddress(bytes: b[...]) == a, "any collection of bytes works")
    }

    @Test("bytes: explicit values")
    func bytesValues() throws {
        #expect(try #require(IPAddress("10.1.2.3")).bytes == [10, 1, 2, 3])
        #expect(try #require(IPAddress("2001:db8::1")).bytes == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        #expect(IPAddress(bytes: [192, 168, 0, 1])?.description == "192.168.0.1")
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1])?.description == "::1")
    }

    @Test("byte collections of other lengths are rejected", arguments: [0, 1, 3, 5, 8, 15, 17, 32])
    func badByteCounts(_ n: Int) {
        #expect(IPAddress(bytes: [UInt8](repeating: 1, count: n)) == nil)
    }

    // MARK: Order

    @Test("Comparable: IPv4 before IPv6, then numeric order")
    func ordering() throws {
        let texts = ["::1", "10.0.0.2", "255.255.255.255", "::", "10.0.0.10", "1.0.0.0", "2001:db8::", "::ffff:0.0.0.0", "10.0.0.1"]
        let sorted = texts.map { IPAddress($0)! }.sorted().map(\.description)
        #expect(sorted == ["1.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.10", "255.255.255.255",
                           "::", "::1", IPAddress("::ffff:0.0.0.0")!.description, "2001:db8::"])
        // Numeric, not textual: 10.0.0.10 > 10.0.0.2, and high half dominates low half.
        #expect(IPAddress("10.0.0.2")! < IPAddress("10.0.0.10")!)
        #expect(IPAddress("::ffff:ffff:ffff:ffff")! < IPAddress("0:0:0:1::")!)
        #expect(!(IPAddress("10.0.0.1")! < IPAddress("10.0.0.1")!))
    }
}
