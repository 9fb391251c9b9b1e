import Foundation
import Packets
import PcapIO
import Testing

/// A fresh directory under the system temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pcapio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// A packet as read back, copied out of the callback.
struct ReadPacket: Equatable {
    var number: Int
    var timestamp: CaptureTimestamp
    var originalLength: Int
    var bytes: [UInt8]
}

func readAll(_ reader: CaptureReader) throws -> [ReadPacket] {
    var out: [ReadPacket] = []
    try reader.forEach { r in
        #expect(r.capturedLength == r.bytes.count)
        out.append(ReadPacket(number: r.number, timestamp: r.timestamp, originalLength: r.originalLength, bytes: Array(r.bytes)))
    }
    return out
}

/// Four packets: TCP to port 80, TCP to 443, UDP to port 80, ICMP echo.
let sample: [[UInt8]] = [
    PacketBuilder.tcp("10.0.0.1", 40000, "10.0.0.2", 80).frame(),
    PacketBuilder.tcp("10.0.0.1", 40001, "10.0.0.2", 443).frame(),
    PacketBuilder.udp("10.0.0.1", 40002, "10.0.0.2", 80).frame(),
    PacketBuilder.ping("10.0.0.1", "10.0.0.2", id: 1).frame(),
]

/// Runs `body` with the process's standard input reading `path`, then restores it (the "-" path).
func withStandardInput(from path: String, _ body: () throws -> Void) throws {
    let saved = dup(0)
    let fd = open(path, O_RDONLY)
    try #require(saved >= 0 && fd >= 0)
    dup2(fd, 0)
    close(fd)
    defer {
        dup2(saved, 0)
        close(saved)
    }
    try body()
}

func samplePcap(_ packets: [[UInt8]] = sample, linkType: LinkType = .ethernet) -> DeterministicPcapWriter {
    var w = DeterministicPcapWriter(linkType: linkType)
    for (i, p) in packets.enumerated() {
        w.append(p, seconds: 1_700_000_000 + UInt32(i), nanoseconds: 123_456_789 - UInt32(i))
    }
    return w
}

@Suite("Reading captures")
struct CaptureReaderTests {
    @Test("DeterministicPcapWriter → CaptureReader gives back the same packets")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        var w = samplePcap()
        let big = [UInt8](repeating: 0x5A, count: 100)
        w.append(big, seconds: 5, nanoseconds: 999_999_999, originalLength: 1500)
        let path = try dir.write("sample.pcap", w.bytes)
        let reader = try CaptureReader(path: path)
        #expect(reader.linkType == .ethernet && reader.dlt == 1 && reader.snaplen == 262_144 && !reader.isPcapng)
        let packets = try readAll(reader)
        #expect(packets.count == 5)
        for (i, p) in sample.enumerated() {
            #expect(packets[i] == ReadPacket(number: i + 1,
                                             timestamp: CaptureTimestamp(seconds: 1_700_000_000 + Int64(i),
                                                                         nanoseconds: 123_456_789 - UInt32(i)),
                                             originalLength: p.count, bytes: p))
        }
        #expect(packets[4].bytes == big && packets[4].originalLength == 1500 && packets[4].timestamp.nanoseconds == 999_999_999)
        #expect(reader.packetsRead == 5)
    }

    @Test("the header the pure-Swift writer emits")
    func deterministicHeaderBytes() {
        let w = DeterministicPcapWriter(linkType: .raw, snaplen: 65535)
        #expect(w.bytes == [0x4D, 0x3C, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 101, 0, 0, 0])
        var w2 = w
        w2.append([1, 2, 3], seconds: 0x01020304, nanoseconds: 5)
        #expect(Array(w2.bytes[24...]) == [4, 3, 2, 1, 5, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3])
        #expect(samplePcap().bytes == samplePcap().bytes)
    }

    @Test("every supported link type survives the round trip and parses", arguments: LinkType.allCases)
    func linkTypes(_ linkType: LinkType) throws {
        let link: PacketBuilder.Link
        switch linkType {
        case .ethernet: link = .ethernet()
        case .raw: link = .raw
        case .ipv4: link = .ipv4
        case .ipv6: link = .ipv6
        case .linuxSLL: link = .linuxSLL()
        case .linuxSLL2: link = .linuxSLL2()
        case .null: link = .null()
        case .loop: link = .loop()
        }
        let v6 = linkType == .ipv6
        let frame = PacketBuilder.udp(v6 ? "fd00::1" : "10.0.0.1", 1, v6 ? "fd00::2" : "10.0.0.2", 53, link: link).frame()
        let dir = try TemporaryDirectory()
        let path = try dir.write("l.pcap", samplePcap([frame], linkType: linkType).bytes)
        let reader = try CaptureReader(path: path)
        #expect(reader.linkType == linkType)
        var headers = PacketHeaders()
        var outcomes: [ParseOutcome] = []
        try reader.forEach { outcomes.append(PacketParser.parse($0.bytes, linkType: reader.linkType, into: &headers)) }
        #expect(outcomes == [.ok] && headers.dstPort == 53)
    }

    @Test func rawIPIsReportedWithItsDLT() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("raw.pcap", samplePcap([PacketBuilder.udp("10.0.0.1", 1, "10.0.0.2", 2, link: .raw).frame()],
                                                        linkType: .raw).bytes)
        let reader = try CaptureReader(path: path)
        #expect(reader.linkType == .raw && reader.dlt == 12)
    }

    @Test("microsecond files are read at nanosecond precision")
    func microsecondFile() throws {
        var bytes: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]
        bytes += [10, 0, 0, 0, 0x39, 0x30, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0xAB, 0xCD]  // 10 s + 12345 µs
        let dir = try TemporaryDirectory()
        let packets = try readAll(CaptureReader(path: dir.write("usec.pcap", bytes)))
        #expect(packets.map(\.timestamp) == [CaptureTimestamp(seconds: 10, nanoseconds: 12_345_000)])
        #expect(packets.first?.timestamp.description == "10.012345000")
    }

    @Test("a BPF filter selects packets and keeps their file positions")
    func filter() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("f.pcap", samplePcap().bytes)
        let reader = try CaptureReader(path: path, filter: "tcp port 80")
        #expect(reader.filterExpression == "tcp port 80")
        let packets = try readAll(reader)
        #expect(packets.map(\.number) == [1])
        #expect(packets.first?.bytes == sample[0])
        #expect(reader.packetsRead == 4)

        let udpOrICMP = try readAll(CaptureReader(path: path, filter: "udp or icmp"))
        #expect(udpOrICMP.map(\.number) == [3, 4])
        let port80 = try readAll(CaptureReader(path: path, filter: "port 80"))
        #expect(port80.map(\.number) == [1, 3])
    }

    @Test func filterOnRawIP() throws {
        let frames = [PacketBuilder.tcp("10.0.0.1", 1, "10.0.0.2", 80, link: .raw).frame(),
                      PacketBuilder.tcp("fd00::1", 1, "fd00::2", 80, link: .raw).frame()]
        let dir = try TemporaryDirectory()
        let path = try dir.write("raw.pcap", samplePcap(frames, linkType: .raw).bytes)
        #expect(try readAll(CaptureReader(path: path, filter: "ip6 and tcp dst port 80")).map(\.number) == [2])
    }

    @Test func badFilter() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("f.pcap", samplePcap().bytes)
        do {
            _ = try CaptureReader(path: path, filter: "tcp prot 80")
            Issue.record("a bad filter was accepted")
        } catch let error {
            guard case let .filter(expression, message) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(expression == "tcp prot 80")
            #expect(message.contains("syntax error"), "libpcap's text: \(message)")
            #expect(error.description.contains("tcp prot 80") && !error.description.contains("\n"))
        }
    }

    @Test("a file cut inside a record reports that packet's number", arguments: [
        // (bytes cut from the end, expected packet number): inside the 4th packet's data, inside
        // the 4th record header, and inside the 2nd packet's data.
        (5, 4), (-1, 4), (-2, 2),
    ] as [(Int, Int)])
    func truncatedFile(cut: Int, packetNumber: Int) throws {
        let w = samplePcap()
        var bytes = w.bytes
        let recordSizes = sample.map { 16 + $0.count }
        switch cut {
        case -1:  // keep the 4th record header's first 10 bytes only
            bytes = Array(bytes.prefix(24 + recordSizes[0..<3].reduce(0, +) + 10))
        case -2:  // cut 2nd packet's data in half
            bytes = Array(bytes.prefix(24 + recordSizes[0] + 16 + sample[1].count / 2))
        default:
            bytes.removeLast(cut)
        }
        let dir = try TemporaryDirectory()
        let path = try dir.write("cut.pcap", bytes)
        let reader = try CaptureReader(path: path)
        var delivered: [Int] = []
        do {
            try reader.forEach { delivered.append($0.number) }
            Issue.record("the truncation went unnoticed")
        } catch let error as CaptureError {
            guard case let .truncated(p, n, message) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(p == path && n == packetNumber && message.contains("truncated"))
            #expect(error.description.hasPrefix("\(path): packet \(packetNumber): "))
            #expect(!error.description.contains("\n"))
        }
        #expect(delivered == Array(1..<packetNumber), "packets before the cut are delivered")
    }

    @Test("not a capture", arguments: [
        ("garbage", Array("this is not a capture file, just some text\n".utf8)),
        ("empty", []),
        ("short header", [0x4D, 0x3C, 0xB2, 0xA1, 2, 0]),
    ] as [(String, [UInt8])])
    func notACapture(name: String, bytes: [UInt8]) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(name, bytes)
        #expect {
            _ = try CaptureReader(path: path)
        } throws: { error in
            guard case let .notACapture(p, message) = error as? CaptureError else { return false }
            return p == path && !message.isEmpty && (error as! CaptureError).description.hasPrefix(path)
        }
    }

    @Test func missingFileAndDirectory() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path("nope.pcap")
        #expect(throws: CaptureError.fileNotFound(path: missing)) { _ = try CaptureReader(path: missing) }
        #expect(CaptureError.fileNotFound(path: missing).description == "\(missing): no such file")
        #expect(throws: CaptureError.cannotOpen(path: dir.url.path, message: "is a directory")) {
            _ = try CaptureReader(path: dir.url.path)
        }
    }

    @Test("an unknown link type is an error naming the DLT and libpcap's name")
    func unknownLinkType() throws {
        let dir = try TemporaryDirectory()
        var w = DeterministicPcapWriter(linkTypeValue: 105)  // 802.11
        w.append([1, 2, 3], seconds: 1, nanoseconds: 0)
        let path = try dir.write("wifi.pcap", w.bytes)
        #expect(throws: CaptureError.unknownLinkType(path: path, dlt: 105, name: "IEEE802_11")) { _ = try CaptureReader(path: path) }
        let text = CaptureError.unknownLinkType(path: path, dlt: 105, name: "IEEE802_11").description
        #expect(text.contains("IEEE802_11") && text.contains("105") && text.contains(path))
    }

    @Test("stdin via \"-\"")
    func standardInput() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("stdin.pcap", samplePcap().bytes)
        try withStandardInput(from: path) {
            let reader = try CaptureReader(path: "-")
            let packets = try readAll(reader)
            #expect(reader.path == "-" && packets.count == 4 && packets[2].bytes == sample[2])
        }
    }
}

@Suite("pcapng")
struct PcapngTests {
    @Test("two interfaces of the same link type read as one capture")
    func sameLinkType() throws {
        var w = PcapngWriter()
        w.addInterface(linkType: .ethernet, name: "eth0")
        w.addInterface(linkType: .ethernet, name: "eth1")
        w.append(sample[0], interface: 0, seconds: 100, nanoseconds: 1)
        w.append(sample[1], interface: 1, seconds: 100, nanoseconds: 2)
        w.append(sample[2], interface: 0, seconds: 101, nanoseconds: 999_999_999, originalLength: 2000)
        let dir = try TemporaryDirectory()
        let reader = try CaptureReader(path: dir.write("two.pcapng", w.bytes))
        #expect(reader.isPcapng && reader.linkType == .ethernet)
        let packets = try readAll(reader)
        #expect(packets.map(\.bytes) == Array(sample.prefix(3)))
        #expect(packets.map(\.timestamp) == [CaptureTimestamp(seconds: 100, nanoseconds: 1),
                                              CaptureTimestamp(seconds: 100, nanoseconds: 2),
                                              CaptureTimestamp(seconds: 101, nanoseconds: 999_999_999)])
        #expect(packets[2].originalLength == 2000)
    }

    @Test("interfaces of different link types give a clear error")
    func mixedLinkTypes() throws {
        var w = PcapngWriter()
        w.addInterface(linkType: .ethernet)
        w.append(sample[0], interface: 0, seconds: 1, nanoseconds: 0)
        w.addInterface(linkType: .raw)
        w.append(PacketBuilder.udp("10.0.0.1", 1, "10.0.0.2", 2, link: .raw).frame(), interface: 1, seconds: 2, nanoseconds: 0)
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.pcapng", w.bytes)
        let reader = try CaptureReader(path: path)
        var delivered = 0
        do {
            try reader.forEach { _ in delivered += 1 }
            Issue.record("mixed link types went unnoticed")
        } catch let error as CaptureError {
            guard case let .mixedLinkTypes(p, n, linkTypes, message) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(p == path && n == 2 && linkTypes == [1, 101])
            #expect(message.contains("different from the type of the first interface"))
            let text = error.description
            #expect(text.contains("interface 0 is EN10MB (1)") && text.contains("interface 1 is RAW (101)"), "\(text)")
            #expect(text.hasPrefix("\(path): before packet 2:") && !text.contains("\n"))
        }
        #expect(delivered == 1)
    }

    @Test("mixed link types declared up front fail before the first packet")
    func mixedUpFront() throws {
        var w = PcapngWriter()
        w.addInterface(linkType: .linuxSLL2)
        w.addInterface(linkType: .ethernet)
        w.append(PacketBuilder.udp("10.0.0.1", 1, "10.0.0.2", 2, link: .linuxSLL2()).frame(), interface: 0, seconds: 1, nanoseconds: 0)
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.pcapng", w.bytes)
        #expect {
            try CaptureReader(path: path).forEach { _ in }
        } throws: { error in
            guard case let .mixedLinkTypes(_, n, linkTypes, _) = error as? CaptureError else { return false }
            return n == 1 && linkTypes == [276, 1]
        }
    }

    @Test func mixedSnapshotLengths() throws {
        var w = PcapngWriter()
        w.addInterface(linkType: .ethernet, snaplen: 65535)
        w.addInterface(linkType: .ethernet, snaplen: 128)
        w.append(sample[0], interface: 0, seconds: 1, nanoseconds: 0)
        let dir = try TemporaryDirectory()
        let path = try dir.write("snap.pcapng", w.bytes)
        #expect {
            try CaptureReader(path: path).forEach { _ in }
        } throws: { error in
            guard case let .mixedSnapshotLengths(_, _, lengths, _) = error as? CaptureError else { return false }
            return lengths == [65535, 128]
        }
    }
}

@Suite("Writing captures")
struct CaptureWriterTests {
    @Test("commit renames into place atomically; the file matches the pure-Swift writer byte for byte")
    func commit() throws {
        let dir = try TemporaryDirectory()
        let destination = dir.path("out.pcap")
        let writer = try CaptureWriter(path: destination, linkType: .ethernet)
        #expect(writer.temporaryPath.hasPrefix(dir.url.path + "/.out.pcap.tmp-"))
        for (i, p) in sample.enumerated() {
            writer.write(p, timestamp: CaptureTimestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: 123_456_789 - UInt32(i)))
        }
        #expect(!FileManager.default.fileExists(atPath: destination), "nothing at the destination before commit")
        #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
        try writer.commit()
        #expect(try dir.contents() == ["out.pcap"], "only the committed file remains")
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: destination)))
        #expect(written == samplePcap().bytes)
        #expect(writer.packetsWritten == 4)
        writer.abandon()  // after commit: a no-op
        #expect(FileManager.default.fileExists(atPath: destination))
    }

    @Test("copying records from a reader reproduces the capture")
    func copyRecords() throws {
        let dir = try TemporaryDirectory()
        var source = samplePcap()
        source.append([0xFF], seconds: 3, nanoseconds: 4, originalLength: 64)
        let sourcePath = try dir.write("in.pcap", source.bytes)
        let reader = try CaptureReader(path: sourcePath)
        let writer = try CaptureWriter(path: dir.path("copy.pcap"), linkType: reader.linkType)
        try reader.forEach { writer.write($0) }
        try writer.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("copy.pcap"))) == Data(source.bytes))
    }

    @Test("abandon and deinit leave nothing behind, not even over an existing file")
    func abandon() throws {
        let dir = try TemporaryDirectory()
        let destination = dir.path("out.pcap")
        let writer = try CaptureWriter(path: destination, linkType: .raw)
        writer.write([0x45], timestamp: CaptureTimestamp(seconds: 1))
        writer.abandon()
        writer.abandon()
        #expect(try dir.contents().isEmpty)

        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: destination))
        do {
            let dropped = try CaptureWriter(path: destination, linkType: .ethernet)
            dropped.write(sample[0], timestamp: CaptureTimestamp(seconds: 1))
            let whileOpen = try dir.contents().count
            withExtendedLifetime(dropped) {}
            #expect(whileOpen == 2)
        }
        #expect(try dir.contents() == ["out.pcap"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: destination)) == Data([1, 2, 3]), "the old file is untouched")
    }

    @Test func snaplenCutsLongPackets() throws {
        let dir = try TemporaryDirectory()
        let writer = try CaptureWriter(path: dir.path("s.pcap"), linkType: .ethernet, snaplen: 40)
        writer.write(sample[0], timestamp: CaptureTimestamp(seconds: 1))
        try writer.commit()
        let reader = try CaptureReader(path: dir.path("s.pcap"))
        let packets = try readAll(reader)
        #expect(reader.snaplen == 40)
        #expect(packets.first?.bytes == Array(sample[0].prefix(40)) && packets.first?.originalLength == sample[0].count)
        var headers = PacketHeaders()
        let outcome = packets[0].bytes.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, into: &headers) }
        #expect(outcome == .ok && !headers.l4Present, "a snaplen-cut TCP header parses with l4Present false")
    }

    @Test func unwritableDirectory() throws {
        let dir = try TemporaryDirectory()
        let destination = dir.path("missing-subdir/out.pcap")
        #expect {
            _ = try CaptureWriter(path: destination, linkType: .ethernet)
        } throws: { error in
            guard case let .cannotWrite(p, message) = error as? CaptureError else { return false }
            return p == destination && message.contains("No such file")
        }
    }
}
