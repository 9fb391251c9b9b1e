// Reads pcap and pcapng files through libpcap, handing each packet to a callback in place.

import CPcap
import Foundation
import Packets

/// A pcap or pcapng capture opened for reading.
///
/// ```swift
/// let reader = try CaptureReader(path: "captures/web.pcap", filter: "tcp port 80")
/// var headers = PacketHeaders()
/// try reader.forEach { record in
///     let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
///     …
/// }
/// ```
///
/// Timestamps are read at nanosecond precision whatever the file's own precision. The link type
/// must be one of ``Packets/LinkType``; anything else is ``CaptureError/unknownLinkType(path:dlt:name:)``
/// at open time. A reader is not thread-safe; use one per thread.
///
/// The corresponding libpcap functions are `pcap_open_offline_with_tstamp_precision`,
/// `pcap_fopen_offline_with_tstamp_precision` (stdin), `pcap_next_ex`, `pcap_compile` and
/// `pcap_offline_filter`.
public final class CaptureReader {
    /// The path given to ``init(path:filter:)``; `-` for stdin.
    public let path: String
    /// The capture's link type.
    public let linkType: LinkType
    /// libpcap's `DLT_` value for it (12 for raw IP on Linux, where files store 101).
    public let dlt: Int32
    /// The snapshot length from the file header.
    public let snaplen: Int
    /// The filter in force, if any.
    public private(set) var filterExpression: String?
    /// Records read so far, filtered or not: the ``PacketRecord/number`` of the last one.
    public private(set) var packetsRead = 0
    /// True when the file is pcapng rather than classic pcap.
    public let isPcapng: Bool

    private var handle: OpaquePointer?
    private var program: UnsafeMutablePointer<bpf_program>?

    /// Opens a capture file, or stdin when `path` is `-`.
    ///
    /// - Parameters:
    ///   - path: a pcap or pcapng file, or `-`.
    ///   - filter: a pcap-filter(7) expression; only matching packets reach ``forEach(_:)``.
    /// - Throws: ``CaptureError``: `fileNotFound`, `cannotOpen`, `notACapture`, `unknownLinkType`
    ///   or `filter`.
    public init(path: String, filter: String? = nil) throws(CaptureError) {
        self.path = path
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        var opened: OpaquePointer?
        if path == "-" {
            // A duplicate, so that pcap_close's fclose leaves the process's fd 0 alone.
            let fd = dup(0)
            guard fd >= 0, let file = fdopen(fd, "rb") else {
                if fd >= 0 { close(fd) }
                throw .cannotOpen(path: path, message: String(cString: strerror(errno)))
            }
            opened = pcap_fopen_offline_with_tstamp_precision(file, precision, &errbuf)
            if opened == nil { fclose(file) }
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .fileNotFound(path: path)
            }
            if isDirectory.boolValue { throw .cannotOpen(path: path, message: "is a directory") }
            if access(path, R_OK) != 0 {
                throw .cannotOpen(path: path, message: String(cString: strerror(errno)))
            }
            opened = pcap_open_offline_with_tstamp_precision(path, precision, &errbuf)
        }
        guard let opened else {
            throw .notACapture(path: path, pcapMessage: CaptureReader.string(errbuf))
        }
        let dlt = pcap_datalink(opened)
        guard let linkType = LinkType(dlt: UInt32(bitPattern: dlt)) else {
            pcap_close(opened)
            throw .unknownLinkType(path: path, dlt: dlt, name: PcapNames.datalinkName(dlt))
        }
        self.handle = opened
        self.dlt = dlt
        self.linkType = linkType
        self.snaplen = Int(pcap_snapshot(opened))
        // pcap_major_version reports 2 for classic pcap and 1 for pcapng (the file format versions).
        self.isPcapng = pcap_major_version(opened) == 1
        if let filter { try setFilter(filter) }
    }

    deinit {
        if let program {
            pcap_freecode(program)
            program.deallocate()
        }
        if let handle { pcap_close(handle) }
    }

    /// Compiles a pcap-filter(7) expression against this capture's link type and applies it to
    /// the packets read from now on. An empty expression removes the filter.
    ///
    /// - Throws: ``CaptureError/filter(expression:message:)`` with libpcap's message.
    public func setFilter(_ expression: String) throws(CaptureError) {
        guard let handle else { return }
        if expression.trimmingCharacters(in: .whitespaces).isEmpty {
            releaseProgram()
            filterExpression = nil
            return
        }
        let compiled = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        compiled.initialize(to: bpf_program())
        if pcap_compile(handle, compiled, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            compiled.deallocate()
            throw .filter(expression: expression, message: String(cString: pcap_geterr(handle)))
        }
        releaseProgram()
        program = compiled
        filterExpression = expression
    }

    private func releaseProgram() {
        if let program {
            pcap_freecode(program)
            program.deallocate()
        }
        program = nil
    }

    /// Calls `body` for each remaining packet that passes the filter, in file order, without
    /// copying it. The record's bytes are valid only during the call.
    ///
    /// - Throws: an error thrown by `body` (reading stops there), or ``CaptureError``:
    ///   `truncated` when the file ends inside a packet, `mixedLinkTypes`/`mixedSnapshotLengths`
    ///   for a pcapng file libpcap cannot read as one capture, `readFailed` otherwise. Packets
    ///   before the failing one have been delivered.
    public func forEach(_ body: (PacketRecord) throws -> Void) throws {
        guard let handle else { return }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let r = pcap_next_ex(handle, &header, &data)
            if r == 1, let header, let data {
                packetsRead += 1
                if let program, pcap_offline_filter(program, header, data) == 0 { continue }
                let h = header.pointee
                let record = PacketRecord(
                    number: packetsRead,
                    timestamp: CaptureTimestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: h.ts.tv_usec)),
                    originalLength: Int(h.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)))
                try body(record)
            } else if r == PCAP_ERROR_BREAK {
                return
            } else if r == PCAP_ERROR {
                throw readError(String(cString: pcap_geterr(handle)), packetNumber: packetsRead + 1)
            } else if r != 0 {
                throw CaptureError.readFailed(path: path, packetNumber: packetsRead + 1, pcapMessage: "pcap_next_ex returned \(r)")
            }
        }
    }

    /// Sorts a `pcap_next_ex` failure into the case that says what happened.
    private func readError(_ message: String, packetNumber: Int) -> CaptureError {
        if message.contains("truncated") {
            return .truncated(path: path, packetNumber: packetNumber, pcapMessage: message)
        }
        // libpcap 1.10 (sf-pcapng.c): "an interface has a type %u different from the type of the
        // first interface", and the same sentence with "a snapshot length %u".
        if message.hasPrefix("an interface has a type") {
            let interfaces = path == "-" ? [] : PcapngScanner.interfaces(path: path)
            return .mixedLinkTypes(path: path, packetNumber: packetNumber,
                                   linkTypes: interfaces.map(\.linkType), pcapMessage: message)
        }
        if message.hasPrefix("an interface has a snapshot length") {
            let interfaces = path == "-" ? [] : PcapngScanner.interfaces(path: path)
            return .mixedSnapshotLengths(path: path, packetNumber: packetNumber,
                                         snapshotLengths: interfaces.map(\.snaplen), pcapMessage: message)
        }
        return .readFailed(path: path, packetNumber: packetNumber, pcapMessage: message)
    }

    private static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Names libpcap gives link types.
enum PcapNames {
    /// `pcap_datalink_val_to_name`: `EN10MB`, `RAW`, `USER0`, … or nil.
    static func datalinkName(_ dlt: Int32) -> String? {
        guard let name = pcap_datalink_val_to_name(dlt) else { return nil }
        return String(cString: name)
    }
}

/// Walks pcapng blocks to list interface descriptions, for error messages that libpcap cannot
/// give (it stops at the first interface that disagrees with the first one).
enum PcapngScanner {
    struct Interface: Equatable {
        var linkType: UInt32
        var snaplen: UInt32
    }

    /// The interfaces of the first section, up to and including the first whose link type or
    /// snapshot length differs from interface 0; empty if the file is not readable pcapng.
    static func interfaces(path: String) -> [Interface] {
        guard let file = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? file.close() }
        var result: [Interface] = []
        var littleEndian = true
        var offset: UInt64 = 0
        var first = true
        func u32(_ d: Data, _ at: Int) -> UInt32 {
            let b = [UInt8](d[d.startIndex + at ..< d.startIndex + at + 4])
            return littleEndian
                ? UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
                : UInt32(b[3]) | UInt32(b[2]) << 8 | UInt32(b[1]) << 16 | UInt32(b[0]) << 24
        }
        // Blocks are read one header at a time, so the scan stays cheap on large files; it ends at
        // the offending interface, which libpcap reached before any later packet.
        for _ in 0..<1_000_000 {
            guard (try? file.seek(toOffset: offset)) != nil,
                  let head = try? file.read(upToCount: 16), head.count >= 12 else { break }
            let rawType = [UInt8](head.prefix(4))
            if first {
                guard rawType == [0x0A, 0x0D, 0x0D, 0x0A] else { return [] }
                let magic = [UInt8](head[head.startIndex + 8 ..< head.startIndex + 12])
                if magic == [0x4D, 0x3C, 0x2B, 0x1A] { littleEndian = true } else if magic == [0x1A, 0x2B, 0x3C, 0x4D] {
                    littleEndian = false
                } else {
                    return []
                }
                first = false
            } else if rawType == [0x0A, 0x0D, 0x0D, 0x0A] {
                break  // a second section: libpcap starts a new interface list there
            }
            let type = u32(head, 0)
            let length = u32(head, 4)
            guard length >= 12, length % 4 == 0 else { break }
            if type == 1, head.count >= 16 {
                let linkType = littleEndian
                    ? UInt32(head[head.startIndex + 8]) | UInt32(head[head.startIndex + 9]) << 8
                    : UInt32(head[head.startIndex + 8]) << 8 | UInt32(head[head.startIndex + 9])
                let snaplen = u32(head, 12)
                result.append(Interface(linkType: linkType, snaplen: snaplen))
                if let i0 = result.first, i0 != result.last! { return result }
            }
            offset += UInt64(length)
        }
        return result
    }
}
