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

    /// How records are read (``Reading``).
    public var reading: Reading { mapped == nil ? .libpcap : .mapped }

    private var handle: OpaquePointer?
    private var program: UnsafeMutablePointer<bpf_program>?
    /// The file mapped into memory while the mapped walker reads it (nil: libpcap reads).
    private var mapped: MappedPcap?

    /// Who reads a capture's records.
    public enum Reading: Sendable, Equatable {
        /// libpcap's `pcap_next_ex`, record by record: stdin, pipes, pcapng, byte-swapped or
        /// old-version pcap files, and any file from its first unusual record on.
        case libpcap
        /// A classic pcap regular file in this machine's byte order (version 2.4, micro- or
        /// nanosecond magic), mapped into memory and walked in place by ``MappedPcap``; it
        /// hands over to libpcap at the first record it does not take as plain (cut short,
        /// longer than the snapshot length), so errors are libpcap's own.
        case mapped
    }

    /// Which readers ``init(path:filter:using:)`` may use.
    public enum ReaderChoice: Sendable {
        /// The mapped walker where it applies (``Reading/mapped``), libpcap elsewhere.
        case automatic
        /// libpcap only (what the walker is tested against).
        case libpcap
    }

    /// Opens a capture file, or stdin when `path` is `-`.
    ///
    /// - Parameters:
    ///   - path: a pcap or pcapng file, or `-`.
    ///   - filter: a pcap-filter(7) expression; only matching packets reach ``forEach(_:)``.
    /// - Throws: ``CaptureError``: `fileNotFound`, `cannotOpen`, `notACapture`, `unknownLinkType`
    ///   or `filter`.
    public init(path: String, filter: String? = nil, using choice: ReaderChoice = .automatic) throws(CaptureError) {
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
        if choice == .automatic && path != "-" && !isPcapng {
            mapped = MappedPcap(path: path, snapshot: pcap_snapshot(opened))
        }
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
        if mapped != nil {
            guard try forEachMapped(body) else { return }
        }
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

    /// The mapped walker's loop: true when it handed over to libpcap (which then reads on from
    /// the record the walker stopped at), false at the end of the file.
    private func forEachMapped(_ body: (PacketRecord) throws -> Void) throws -> Bool {
        guard let m = mapped else { return true }
        var offset = m.offset
        var number = packetsRead
        let base = m.base, size = m.size, maxCaplen = m.maxCaplen, scale = m.nanosecondsPerTick
        let program = self.program
        while true {
            let left = size &- offset
            if left == 0 {
                m.offset = offset
                return false
            }
            // A record header cut short, or a record libpcap would refuse or cut: libpcap reads it.
            guard left >= 16 else { return handOver(at: offset) }
            let h = base + offset
            let seconds = h.loadUnaligned(as: Int32.self)
            let fraction = h.loadUnaligned(fromByteOffset: 4, as: Int32.self)
            let caplen = h.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            let len = h.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            guard caplen <= maxCaplen, left &- 16 >= Int(caplen) else { return handOver(at: offset) }
            number &+= 1
            offset &+= 16 &+ Int(caplen)
            // Stored before the call, so that a body that stops reading leaves the reader after
            // this record, as libpcap would be.
            m.offset = offset
            packetsRead = number
            let data = h + 16
            if let program {
                var ph = pcap_pkthdr()
                ph.caplen = caplen
                ph.len = len
                if pcap_offline_filter(program, &ph, data.assumingMemoryBound(to: UInt8.self)) == 0 { continue }
            }
            // libpcap sign-extends both 32-bit fields and scales microseconds by 1,000 in a long.
            let record = PacketRecord(
                number: number,
                timestamp: CaptureTimestamp(seconds: Int64(seconds),
                                            nanoseconds: UInt32(truncatingIfNeeded: Int64(fraction) &* scale)),
                originalLength: Int(len),
                bytes: UnsafeRawBufferPointer(start: data, count: Int(caplen)))
            try body(record)
        }
    }

    /// Positions libpcap's file at `offset` (the start of a record) and drops the mapping.
    private func handOver(at offset: Int) -> Bool {
        mapped = nil
        if let handle, let file = pcap_file(handle) {
            fseeko(file, off_t(offset), SEEK_SET)
        }
        return true
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

/// A classic pcap file mapped read-only into memory, for ``CaptureReader``'s mapped walker.
/// Created only for files the walker reads exactly as libpcap 1.10 does: regular files, this
/// machine's byte order (no field or pseudo-header swapping), version 2.4 (caplen and
/// len never swapped; libpcap refuses later ones), the plain 16-byte record header (not the patched formats' 24).
final class MappedPcap {
    let base: UnsafeRawPointer
    let size: Int
    /// Where the next record starts.
    var offset = 24
    /// The largest caplen libpcap takes as is: the snapshot length it uses (pcap_snapshot, which
    /// it derives from the header) and MAXIMUM_SNAPLEN (262,144, max_snaplen_for_dlt for every
    /// link type Verdict reads). Above it libpcap cuts the record or refuses it.
    let maxCaplen: UInt32
    /// 1,000 for a microsecond file, 1 for a nanosecond one.
    let nanosecondsPerTick: Int64
    /// Files up to this size are mapped with MAP_POPULATE.
    static let populateLimit = 1 << 30

    init?(path: String, snapshot: Int32) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size >= 24, st.st_size <= Int.max / 2 else { return nil }
        let size = Int(st.st_size)
        // Pre-faulting the pages at open saves a page fault every 50-odd records of a small capture;
        // a capture of gigabytes is left to the kernel's read-ahead instead, so opening it does not
        // read it all at once.
        let flags = size <= MappedPcap.populateLimit ? MAP_PRIVATE | MAP_POPULATE : MAP_PRIVATE
        guard let p = mmap(nil, size, PROT_READ, flags, fd, 0), p != MAP_FAILED else { return nil }
        let raw = UnsafeRawPointer(p)
        let magic = raw.loadUnaligned(as: UInt32.self)
        let major = raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        let minor = raw.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        let scale: Int64
        switch magic {
        case 0xA1B2_C3D4: scale = 1000
        case 0xA1B2_3C4D: scale = 1
        default: scale = 0
        }
        guard scale != 0, major == 2, minor == 4, snapshot > 0 else {
            munmap(p, size)
            return nil
        }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        base = raw
        self.size = size
        maxCaplen = min(UInt32(snapshot), 262_144)
        nanosecondsPerTick = scale
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
