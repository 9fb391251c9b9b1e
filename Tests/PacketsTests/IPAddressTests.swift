import Testing
import Packets

@Suite("IPAddress")
struct IPAddressTests {
    @Test("canonical text (dotted quad, RFC 5952)", arguments: [
        ("10.0.0.1", "10.0.0.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:DB8::ABCD", "2001:db8::abcd"),
        // RFC 5952 §4.2.2: a single zero group is not compressed.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        // §4.2.3: the longest run wins; on a tie, the first.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("fe80::1:2", "fe80::1:2"),
        // §5: IPv4-mapped addresses in mixed notation, however they were written.
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::FFFF:0102:0304", "::ffff:1.2.3.4"),
        ("::1.2.3.4", "::102:304"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func canonicalText(input: String, expected: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.description == expected)
        #expect(IPAddress(a.description) == a, "canonical text parses back to the same value")
    }

    @Test("rejects malformed text", arguments: [
        "", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.-4", "1..2.3", " 1.2.3.4",
        "1.2.3.4/32", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", ":1::", "1:", ":", ":::",
        "12345::", "g::", "fe80::1%eth0", "[::1]", "::ffff:1.2.3", "::ffff:1.2.3.4:5", "1.2.3.4::",
    ])
    func rejects(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func familiesAndValues() throws {
        let v4 = try #require(IPAddress("10.1.2.3"))
        #expect(v4.family == .v4 && v4.isV4)
        #expect(v4.v4 == 0x0A01_0203 && v4.high == 0 && v4.low == 0x0A01_0203)
        #expect(v4.bytes == [10, 1, 2, 3])
        let v6 = try #require(IPAddress("2001:db8::ff00:42:8329"))
        #expect(v6.family == .v6)
        #expect(v6.high == 0x2001_0DB8_0000_0000 && v6.low == 0x0000_FF00_0042_8329)
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 17)) == nil)
    }

    @Test("IPv4, IPv4-compatible and IPv4-mapped addresses are distinct values")
    func familyIsPartOfTheValue() throws {
        let plain = try #require(IPAddress("1.2.3.4"))
        let compatible = try #require(IPAddress("::102:304"))
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(Set([plain, compatible, mapped]).count == 3)
        #expect(plain.low == compatible.low)
    }

    @Test func ordering() {
        let sorted = ["::", "10.0.0.2", "fd00::1", "10.0.0.1", "0.0.0.0", "::1", "255.255.255.255"]
            .map { ip($0) }.sorted()
        #expect(sorted.map(\.description) == ["0.0.0.0", "10.0.0.1", "10.0.0.2", "255.255.255.255", "::", "::1", "fd00::1"])
    }
}
