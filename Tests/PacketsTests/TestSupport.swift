// Helpers shared by the Packets tests: parse shorthands, an independent checksum implementation
// to check the builder against, and a seeded generator for fuzzing.

import Addresses
import Packets

/// Parses a frame and returns the outcome with the headers.
func parse(_ frame: [UInt8], _ linkType: LinkType) -> (ParseOutcome, PacketHeaders) {
    var headers = PacketHeaders()
    let outcome = frame.withUnsafeBytes { PacketParser.parse($0, linkType: linkType, into: &headers) }
    return (outcome, headers)
}

/// Builds and parses a packet.
func parse(_ packet: PacketBuilder) -> (ParseOutcome, PacketHeaders) {
    parse(packet.frame(), packet.linkType)
}

func ip(_ text: String) -> IPAddress {
    guard let a = IPAddress(text) else { fatalError("bad literal \(text)") }
    return a
}

/// RFC 1071 sum written independently of the module's, folded but not complemented.
func onesComplementSum(_ bytes: [UInt8]) -> UInt16 {
    var sum = 0
    for i in stride(from: 0, to: bytes.count, by: 2) {
        sum += Int(bytes[i]) << 8 + (i + 1 < bytes.count ? Int(bytes[i + 1]) : 0)
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return UInt16(sum)
}

/// The TCP/UDP/ICMPv6 pseudo-header for a parsed packet.
func pseudoHeader(_ h: PacketHeaders, length: Int) -> [UInt8] {
    var out = h.src.bytes + h.dst.bytes
    if h.ipVersion == 6 {
        out += [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        out += [0, 0, 0, h.protocol]
    } else {
        out += [0, h.protocol, UInt8(length >> 8), UInt8(length & 0xFF)]
    }
    return out
}

/// Table-driven CRC32c, a second implementation to check the builder's bitwise one.
func crc32cTable(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 == 1 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, seeded, reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A named packet for parameterized tests.
struct NamedPacket: Sendable, CustomStringConvertible {
    let name: String
    let packet: PacketBuilder
    var description: String { name }
    init(_ name: String, _ packet: PacketBuilder) {
        self.name = name
        self.packet = packet
    }
}

let v4a = "10.0.0.1", v4b = "10.0.0.2"
let v6a = "fd00::1", v6b = "fd00:0:0:1::2"
