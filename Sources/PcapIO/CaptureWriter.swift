// Writes classic pcap through libpcap's dumper into a temporary file next to the destination,
// and renames it into place only on commit, so a failed run never leaves half a capture behind.

import CPcap
import Foundation
import Packets

/// A classic pcap file being written (nanosecond timestamps, magic 0xa1b23c4d).
///
/// Packets go to a temporary file (`.<name>.tmp-XXXXXX`) in the destination's directory;
/// ``commit()`` flushes, syncs and renames it over the destination atomically. ``abandon()`` —
/// or dropping the writer without committing — deletes it.
///
/// The corresponding libpcap functions are `pcap_open_dead_with_tstamp_precision`,
/// `pcap_dump_fopen`, `pcap_dump`, `pcap_dump_flush` and `pcap_dump_close`.
public final class CaptureWriter {
    /// Where ``commit()`` puts the file.
    public let path: String
    /// The temporary file being written; gone after ``commit()`` or ``abandon()``.
    public let temporaryPath: String
    public let linkType: LinkType
    public let snaplen: Int
    /// Packets written so far.
    public private(set) var packetsWritten = 0

    private var pcap: OpaquePointer?
    private var dumper: OpaquePointer?
    private var finished = false

    /// Creates the temporary file and writes the pcap file header.
    ///
    /// - Throws: ``CaptureError/cannotWrite(path:message:)`` when the directory is not writable.
    public init(path: String, linkType: LinkType, snaplen: Int = 262_144) throws(CaptureError) {
        self.path = path
        self.linkType = linkType
        self.snaplen = snaplen
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .cannotWrite(path: path, message: String(cString: strerror(errno)))
        }
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // mkstemp creates the file 0600; a capture is an ordinary output file.
        fchmod(fd, 0o644)
        guard let file = fdopen(fd, "wb") else {
            let message = String(cString: strerror(errno))
            close(fd)
            unlink(temporaryPath)
            throw .cannotWrite(path: path, message: message)
        }
        guard let dead = pcap_open_dead_with_tstamp_precision(
            Int32(bitPattern: linkType.dlt), Int32(snaplen), UInt32(PCAP_TSTAMP_PRECISION_NANO))
        else {
            fclose(file)
            unlink(temporaryPath)
            throw .cannotWrite(path: path, message: "pcap_open_dead failed")
        }
        guard let d = pcap_dump_fopen(dead, file) else {
            let message = String(cString: pcap_geterr(dead))
            pcap_close(dead)
            fclose(file)
            unlink(temporaryPath)
            throw .cannotWrite(path: path, message: message)
        }
        pcap = dead
        dumper = d
    }

    deinit { abandon() }

    /// Appends a packet read from another capture, with its timestamp and original length.
    public func write(_ record: PacketRecord) {
        write(bytes: record.bytes, timestamp: record.timestamp, originalLength: record.originalLength)
    }

    /// Appends a packet. Bytes beyond the snapshot length are cut, as a capture would.
    ///
    /// - Parameter originalLength: the on-the-wire length; `bytes.count` when nil.
    public func write(bytes: UnsafeRawBufferPointer, timestamp: CaptureTimestamp, originalLength: Int? = nil) {
        precondition(!finished, "CaptureWriter used after commit() or abandon()")
        guard let dumper else { return }
        let caplen = min(bytes.count, snaplen)
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp.seconds)
        header.ts.tv_usec = Int(timestamp.nanoseconds)
        header.caplen = UInt32(caplen)
        header.len = UInt32(max(originalLength ?? bytes.count, caplen))
        let user = UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self)
        if let base = bytes.baseAddress {
            pcap_dump(user, &header, base.assumingMemoryBound(to: UInt8.self))
        } else {
            var empty: UInt8 = 0
            pcap_dump(user, &header, &empty)
        }
        packetsWritten += 1
    }

    /// Appends a packet held in an array.
    public func write(_ bytes: [UInt8], timestamp: CaptureTimestamp, originalLength: Int? = nil) {
        bytes.withUnsafeBytes { write(bytes: $0, timestamp: timestamp, originalLength: originalLength) }
    }

    /// Flushes, syncs and closes the temporary file, then renames it to ``path``.
    ///
    /// - Throws: ``CaptureError/cannotWrite(path:message:)``; the temporary file is removed and
    ///   nothing is left at ``path`` that was not there before.
    public func commit() throws(CaptureError) {
        precondition(!finished, "CaptureWriter committed or abandoned twice")
        guard let dumper, let pcap else { return }
        var failure: String?
        if pcap_dump_flush(dumper) != 0 {
            failure = String(cString: strerror(errno))
        } else if let file = pcap_dump_file(dumper), ferror(file) != 0 {
            failure = "write error"
        } else if let file = pcap_dump_file(dumper), fsync(fileno(file)) != 0 {
            failure = String(cString: strerror(errno))
        }
        pcap_dump_close(dumper)
        pcap_close(pcap)
        self.dumper = nil
        self.pcap = nil
        finished = true
        if failure == nil, rename(temporaryPath, path) != 0 {
            failure = String(cString: strerror(errno))
        }
        if let failure {
            unlink(temporaryPath)
            throw .cannotWrite(path: path, message: failure)
        }
    }

    /// Discards everything written: closes and deletes the temporary file. Safe to call twice
    /// and after ``commit()`` (then it does nothing).
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let dumper { pcap_dump_close(dumper) }
        if let pcap { pcap_close(pcap) }
        dumper = nil
        pcap = nil
        unlink(temporaryPath)
    }
}
