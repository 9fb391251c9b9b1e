// The mapped pcap walker against libpcap: the same records (number, timestamp, caplen, len,
// bytes), the same link type and snapshot length, and the same error at the same packet, on every
// capture in captures/ and on damaged files cut or corrupted at every position.

import Foundation
import Packets
import PcapIO
import Testing

/// Everything a reader gives for a file: what it opened as, every record, and how it ended.
struct ReadOutcome: Equatable, CustomStringConvertible {
    var linkType: LinkType
    var dlt: Int32
    var snaplen: Int
    var isPcapng: Bool
    var packets: [ReadPacket]
    var capturedLengths: [Int]
    var error: CaptureError?
    var packetsRead: Int

    var description: String {
        "\(packets.count) packets, packetsRead \(packetsRead), error \(error.map { "\($0)" } ?? "none")"
    }
}

enum Readers {
    /// Opens `path` with `choice` and reads it to the end (or its error). `filter` applies to both.
    static func read(_ path: String, _ choice: CaptureReader.ReaderChoice, filter: String? = nil) throws -> (ReadOutcome, CaptureReader.Reading) {
        let reader = try CaptureReader(path: path, filter: filter, using: choice)
        let opened = reader.reading
        var packets: [ReadPacket] = []
        var lengths: [Int] = []
        var failure: CaptureError?
        do {
            try reader.forEach { r in
                packets.append(ReadPacket(number: r.number, timestamp: r.timestamp, originalLength: r.originalLength, bytes: Array(r.bytes)))
                lengths.append(r.capturedLength)
            }
        } catch {
            guard let e = error as? CaptureError else { throw error }
            failure = e
        }
        return (ReadOutcome(linkType: reader.linkType, dlt: reader.dlt, snaplen: reader.snaplen, isPcapng: reader.isPcapng,
                            packets: packets, capturedLengths: lengths, error: failure, packetsRead: reader.packetsRead), opened)
    }

    /// The open error of a choice, or nil when the file opens.
    static func openError(_ path: String, _ choice: CaptureReader.ReaderChoice) -> CaptureError? {
        do {
            _ = try CaptureReader(path: path, using: choice)
            return nil
        } catch {
            return error
        }
    }

    /// Both readers on one file: equal outcomes (or equal open errors); returns how the automatic one opened.
    @discardableResult
    static func expectSame(_ path: String, filter: String? = nil, _ context: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> CaptureReader.Reading? {
        let openA = openError(path, .automatic), openL = openError(path, .libpcap)
        #expect(openA == openL, "\(context): open errors differ", sourceLocation: sourceLocation)
        guard openL == nil, openA == nil else { return nil }
        let (auto, reading) = try read(path, .automatic, filter: filter)
        let (lib, libReading) = try read(path, .libpcap, filter: filter)
        #expect(libReading == .libpcap, sourceLocation: sourceLocation)
        #expect(auto == lib, "\(context): mapped \(auto) vs libpcap \(lib)", sourceLocation: sourceLocation)
        return reading
    }
}

/// Little-endian pcap bytes, built by hand so that any field can be wrong.
struct RawPcap {
    var bytes: [UInt8]

    init(magic: UInt32 = 0xA1B2_3C4D, major: UInt16 = 2, minor: UInt16 = 4, snaplen: UInt32 = 262_144, linkType: UInt32 = 1, bigEndian: Bool = false) {
        bytes = []
        self.bigEndian = bigEndian
        put32(magic)
        put16(major)
        put16(minor)
        put32(0)
        put32(0)
        put32(snaplen)
        put32(linkType)
    }

    private let bigEndian: Bool

    mutating func put16(_ v: UInt16) {
        bytes += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
    }

    mutating func put32(_ v: UInt32) {
        let le = [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        bytes += bigEndian ? le.reversed() : le
    }

    mutating func record(seconds: UInt32, fraction: UInt32, caplen: UInt32? = nil, len: UInt32? = nil, _ data: [UInt8]) {
        put32(seconds)
        put32(fraction)
        put32(caplen ?? UInt32(data.count))
        put32(len ?? UInt32(data.count))
        bytes += data
    }
}

@Suite("The mapped pcap reader gives libpcap's records and errors")
struct MappedReaderTests {
    static let capturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures")

    static func committedCaptures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: capturesDirectory.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    @Test("every capture in captures/: same records, link type, snapshot length and error")
    func committed() throws {
        let names = try Self.committedCaptures()
        #expect(names.count >= 15)
        var mapped = 0
        for name in names {
            let path = Self.capturesDirectory.appendingPathComponent(name).path
            let reading = try Readers.expectSame(path, name)
            // Classic pcap files in this machine's byte order are walked in memory; pcapng is libpcap's.
            if name.hasSuffix(".pcapng") { #expect(reading == .libpcap, "\(name)") } else { #expect(reading == .mapped, "\(name)") }
            if reading == .mapped { mapped += 1 }
            _ = try Readers.expectSame(path, filter: "tcp", "\(name) filtered")
        }
        #expect(mapped >= 10)
    }

    /// A capture with the awkward values: a record cut by the snapshot length (len > caplen),
    /// an empty record, a negative seconds field, a fraction above one second's worth.
    static func awkward(nanoseconds: Bool) -> [UInt8] {
        var p = RawPcap(magic: nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4, snaplen: 96)
        let frame = PacketBuilder.tcp("10.0.0.1", 40000, "10.0.0.2", 80).frame()
        p.record(seconds: 1_700_000_000, fraction: 5, frame)
        p.record(seconds: 1, fraction: 999_999, caplen: 20, len: 1500, Array(frame.prefix(20)))
        p.record(seconds: 0xFFFF_FFF0, fraction: 0xFFFF_FFFF, [])
        p.record(seconds: 7, fraction: 4_000_000_000, PacketBuilder.ping("10.0.0.1", "10.0.0.2", id: 3).frame())
        return p.bytes
    }

    @Test("cut at every length, micro- and nanosecond files", arguments: [false, true])
    func everyCut(nanoseconds: Bool) throws {
        let full = Self.awkward(nanoseconds: nanoseconds)
        let dir = try TemporaryDirectory()
        #expect(try Readers.expectSame(dir.write("full.pcap", full), "whole file") == .mapped)
        for n in 0..<full.count {
            let path = try dir.write("cut\(n).pcap", Array(full.prefix(n)))
            try Readers.expectSame(path, "cut at \(n) of \(full.count)")
        }
    }

    @Test("corrupt record lengths: above the snapshot length, above libpcap's maximum, beyond the file")
    func corruptLengths() throws {
        let dir = try TemporaryDirectory()
        let frame = PacketBuilder.udp("10.0.0.1", 1, "10.0.0.2", 53).frame()
        let cases: [(String, UInt32, UInt32, [UInt8])] = [
            // caplen above the header's snaplen (64) but sane: libpcap cuts the record to 64 bytes.
            ("over snaplen", 64, UInt32(frame.count + 40), frame + [UInt8](repeating: 7, count: 40)),
            ("over maximum", 262_144, 300_000, frame),
            ("huge", 262_144, 0xFFFF_FFFF, frame),
            ("beyond the file", 262_144, UInt32(frame.count + 1), frame),
        ]
        for (name, snaplen, caplen, data) in cases {
            var p = RawPcap(snaplen: snaplen)
            p.record(seconds: 1, fraction: 0, frame)
            p.record(seconds: 2, fraction: 0, caplen: caplen, len: caplen, data)
            p.record(seconds: 3, fraction: 0, frame)
            let path = try dir.write("\(name).pcap", p.bytes)
            try Readers.expectSame(path, name)
            let (outcome, _) = try Readers.read(path, .automatic)
            #expect(outcome.packets.first?.number == 1, "\(name): the record before is delivered")
        }
    }

    @Test("a truncated capture is reported as before: the packet number, libpcap's text, the packets before it")
    func truncatedAsBefore() throws {
        let dir = try TemporaryDirectory()
        var bytes = samplePcap().bytes
        bytes.removeLast(5)
        let path = try dir.write("cut.pcap", bytes)
        let (outcome, reading) = try Readers.read(path, .automatic)
        #expect(reading == .mapped)
        guard case let .truncated(p, n, message) = outcome.error else {
            Issue.record("wrong error \(String(describing: outcome.error))")
            return
        }
        #expect(p == path && n == 4 && message.hasPrefix("truncated dump file"))
        #expect(outcome.packets.map(\.number) == [1, 2, 3] && outcome.packetsRead == 3)
    }

    @Test("files the walker leaves to libpcap: other byte order, version 2.3, snaplen 0, unknown versions")
    func leftToLibpcap() throws {
        let dir = try TemporaryDirectory()
        let frame = PacketBuilder.tcp("10.0.0.1", 1, "10.0.0.2", 2).frame()
        let files: [(String, RawPcap, CaptureReader.Reading?)] = [
            ("big-endian", RawPcap(bigEndian: true), .libpcap),
            ("big-endian usec", RawPcap(magic: 0xA1B2_C3D4, bigEndian: true), .libpcap),
            ("version 2.3", RawPcap(minor: 3), .libpcap),
            ("version 2.5", RawPcap(minor: 5), nil),
            ("snaplen 0", RawPcap(snaplen: 0), .mapped),
            ("snaplen huge", RawPcap(snaplen: 0x7FFF_FFFF), .mapped),
        ]
        for (name, header, expected) in files {
            var p = header
            p.record(seconds: 1, fraction: 2, frame)
            p.record(seconds: 3, fraction: 4, caplen: 30, len: 31, Array(frame.prefix(30)))
            let reading = try Readers.expectSame(dir.write("\(name).pcap", p.bytes), name)
            #expect(reading == expected, "\(name)")
        }
    }

    @Test("stdin and pipes stay with libpcap")
    func pipes() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("s.pcap", samplePcap().bytes)
        try withStandardInput(from: path) {
            let reader = try CaptureReader(path: "-")
            #expect(reader.reading == .libpcap)
            #expect(try readAll(reader).count == 4)
        }
    }

    @Test("a body that stops reading leaves the reader after that record, as libpcap does")
    func stopAndResume() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("s.pcap", samplePcap().bytes)
        struct Stop: Error {}
        var numbers: [[Int]] = []
        for choice in [CaptureReader.ReaderChoice.automatic, .libpcap] {
            let reader = try CaptureReader(path: path, using: choice)
            var seen: [Int] = []
            do {
                try reader.forEach { r in
                    seen.append(r.number)
                    if r.number == 2 { throw Stop() }
                }
            } catch is Stop {}
            try reader.forEach { seen.append($0.number) }
            numbers.append(seen)
        }
        #expect(numbers[0] == [1, 2, 3, 4] && numbers[0] == numbers[1])
    }
}
