// CIDR: strict (Calico validator) and lenient (Kubernetes ipBlock) parsing, containment, order.

import Testing
@testable import Addresses

private func cidr(_ text: String) -> CIDR {
    switch CIDR.parse(text, requireCanonical: false) {
    case let .success(c): return c
    case let .failure(p): fatalError("bad test CIDR \(text): \(p)")
    }
}

@Suite("CIDR")
struct CIDRTests {
    // MARK: Parsing

    @Test("canonical CIDRs parse in both modes and print unchanged", arguments: [
        "10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "10.1.2.3/32", "::/0", "::1/128", "2001:db8::/32",
        "fd00:5e7d::/64", "ffff:ffff:ffff:ffff:8000::/65",
    ])
    func canonical(_ text: String) throws {
        let strict = try CIDR.parse(text, requireCanonical: true).get()
        let lenient = try CIDR.parse(text, requireCanonical: false).get()
        #expect(strict == lenient)
        #expect(strict.description == text)
    }

    @Test("host bits: strict mode rejects with the canonical form as a hint, lenient mode masks", arguments: [
        ("10.0.0.1/8", "10.0.0.0/8"),
        ("192.168.1.77/24", "192.168.1.0/24"),
        ("10.1.2.3/0", "0.0.0.0/0"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("ffff::1/1", "8000::/1"),
        ("::1/0", "::/0"),
    ])
    func hostBits(_ text: String, _ masked: String) throws {
        #expect(CIDR.parse(text, requireCanonical: true) == .failure(.hostBitsSet(canonical: masked)))
        let lenient = try CIDR.parse(text, requireCanonical: false).get()
        #expect(lenient.description == masked)
        #expect(CIDR.ParseProblem.hostBitsSet(canonical: masked).description
            == "invalid CIDR (host bits are set; did you mean \(masked)?)")
    }

    @Test("a bare address is 'missing prefix length' in both modes", arguments: ["10.0.0.1", "::1", "2001:db8::"])
    func missingPrefixLength(_ text: String) {
        #expect(CIDR.parse(text, requireCanonical: true) == .failure(.missingPrefixLength))
        #expect(CIDR.parse(text, requireCanonical: false) == .failure(.missingPrefixLength))
        #expect(CIDR.ParseProblem.missingPrefixLength.description.hasPrefix("invalid CIDR"))
    }

    @Test("garbage and out-of-range prefix lengths are invalid", arguments: [
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/64", "::/129", "::/1000", "10.0.0.0/-1", "10.0.0.0/+8",
        "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0/8", "banana", "banana/8", "10.0.0.0/a",
        "01.0.0.0/8", "1::2::3/64", "10.0.0.0/٨",
    ])
    func invalid(_ text: String) {
        #expect(CIDR.parse(text, requireCanonical: true) == .failure(.invalid))
        #expect(CIDR.parse(text, requireCanonical: false) == .failure(.invalid))
    }

    @Test("ParseProblem descriptions all start with Calico's 'invalid CIDR'")
    func problemDescriptions() {
        #expect(CIDR.ParseProblem.invalid.description == "invalid CIDR")
        #expect(CIDR.ParseProblem.missingPrefixLength.description == "invalid CIDR (a prefix length is required, e.g. /32 or /128)")
    }

    @Test("init(address:prefixLength:) masks host bits")
    func initMasks() throws {
        let c = CIDR(address: try #require(IPAddress("10.9.8.7")), prefixLength: 16)
        #expect(c.address.description == "10.9.0.0")
        #expect(c.prefixLength == 16)
        #expect(c.family == .v4)
        #expect(c == cidr("10.9.0.0/16"))
        #expect(CIDR(address: IPAddress("2001:db8::1")!, prefixLength: 128).description == "2001:db8::1/128")
    }

    // MARK: Containment

    @Test("contains(ip)", arguments: [
        ("10.0.0.0/8", "10.0.0.0", true), ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "11.0.0.0", false),
        ("10.0.0.0/8", "9.255.255.255", false), ("10.1.2.3/32", "10.1.2.3", true), ("10.1.2.3/32", "10.1.2.4", false),
        ("0.0.0.0/0", "255.255.255.255", true), ("0.0.0.0/0", "::", false),
        ("::/0", "2001:db8::1", true), ("::/0", "0.0.0.0", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::", false),
        ("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", true), ("2001:db8::/64", "2001:db8:0:1::", false),
        ("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff", true), ("2001:db8::/65", "2001:db8::8000:0:0:0", false),
        // IPv4-mapped IPv6 is not IPv4 (SEMANTICS §7.17).
        ("10.0.0.0/8", "::ffff:10.0.0.1", false), ("::ffff:0.0.0.0/96", "10.0.0.1", false),
        ("::ffff:0.0.0.0/96", "::ffff:10.0.0.1", true),
    ])
    func containsIP(_ block: String, _ ip: String, _ expected: Bool) throws {
        #expect(cidr(block).contains(try #require(IPAddress(ip))) == expected)
    }

    @Test("contains(cidr): every address of the other block", arguments: [
        ("10.0.0.0/8", "10.1.0.0/16", true), ("10.0.0.0/8", "10.0.0.0/8", true), ("10.1.0.0/16", "10.0.0.0/8", false),
        ("10.0.0.0/8", "11.0.0.0/16", false), ("10.0.0.0/8", "10.255.255.255/32", true), ("0.0.0.0/0", "10.0.0.0/8", true),
        ("10.0.0.0/9", "10.128.0.0/9", false), ("0.0.0.0/0", "::/0", false), ("::/0", "0.0.0.0/0", false),
        ("::/0", "2001:db8::/32", true), ("2001:db8::/32", "2001:db8:1::/48", true), ("2001:db8:1::/48", "2001:db8::/32", false),
    ])
    func containsCIDR(_ outer: String, _ inner: String, _ expected: Bool) {
        #expect(cidr(outer).contains(cidr(inner)) == expected)
    }

    @Test("isCatchAll is exactly /0, in either family")
    func catchAll() {
        #expect(cidr("0.0.0.0/0").isCatchAll)
        #expect(cidr("::/0").isCatchAll)
        #expect(cidr("::0/0").isCatchAll)
        #expect(cidr("0:0::0:0/0").isCatchAll)
        #expect(!cidr("0.0.0.0/1").isCatchAll)
        #expect(!cidr("::/1").isCatchAll)
    }

    // MARK: Order and hashing

    @Test("Comparable: by address (family first), then prefix length")
    func ordering() {
        let list = ["10.0.0.0/16", "::/0", "10.0.0.0/8", "9.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"].map(cidr)
        #expect(list.sorted().map(\.description) == ["0.0.0.0/0", "9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "::/0", "2001:db8::/32"])
    }

    @Test("equal blocks hash equal however they were written")
    func hashing() {
        #expect(Set(["10.0.0.1/8", "10.0.0.0/8", "10.255.0.0/8"].map(cidr)).count == 1)
        #expect(cidr("2001:DB8::/32") == cidr("2001:db8:0::/32"))
        #expect(cidr("10.0.0.0/8") != cidr("10.0.0.0/9"))
    }
}
