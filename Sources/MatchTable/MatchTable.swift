// A compiled, immutable policy table in the `.vdt` format of vd_abi.h.

import CVerdictABI
#if canImport(Glibc)
import Glibc
#endif

/// A compiled, immutable policy table: what the classifier walks and what `BPFLoader` copies
/// into BPF maps.
///
/// Build one with `PolicyCompiler`, or read one from a file with ``init(contentsOf:)``. Loading
/// checks the magic, version, size, checksum, and every index the classifier will follow, so a
/// corrupt file is an error here rather than a crash later. The bytes never change afterwards,
/// so a table can be shared across threads; ``dump()`` gives a stable text form for golden tests.
public final class MatchTable: @unchecked Sendable {
    /// The file's bytes, 64-byte aligned, owned by this object.
    public let base: UnsafeRawPointer
    public let size: Int
    public let header: vd_table_header
    private let sections: [SectionKey: vd_section]

    struct SectionKey: Hashable {
        var kind: UInt16
        var chain: UInt16
        var dim: UInt16
    }

    /// Encodes `contents` and checks the result like any file.
    public convenience init(contents: TableContents) {
        let bytes = MatchTableEncoder.encode(contents)
        do throws(MatchTableError) {
            try self.init(bytes: bytes, file: "<compiled>")
        } catch {
            preconditionFailure("the encoder produced a table its own reader rejects: \(error)")
        }
    }

    /// Reads and checks a `.vdt` file.
    public convenience init(contentsOf path: String) throws(MatchTableError) {
        guard let f = fopen(path, "rb") else {
            throw MatchTableError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(f) != 0 { throw MatchTableError(file: path, "read failed: \(String(cString: strerror(errno)))") }
                break
            }
        }
        try self.init(bytes: bytes, file: path)
    }

    public init(bytes: [UInt8], file: String) throws(MatchTableError) {
        let headerSize = MemoryLayout<vd_table_header>.stride
        guard bytes.count >= headerSize else {
            throw MatchTableError(file: file, "not a Verdict table: \(bytes.count) bytes is shorter than the \(headerSize)-byte header")
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: Int(VD_SECTION_ALIGN))
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        self.base = UnsafeRawPointer(buffer)
        self.size = bytes.count
        let h = buffer.loadUnaligned(as: vd_table_header.self)
        self.header = h
        do throws(MatchTableError) {
            self.sections = try MatchTableValidator.check(base: UnsafeRawBufferPointer(start: buffer, count: bytes.count), header: h, file: file)
        } catch {
            buffer.deallocate()
            throw error
        }
    }

    deinit { UnsafeMutableRawPointer(mutating: base).deallocate() }

    /// A copy of the file's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The file's bytes, without copying, valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: base, count: size)) }
    }

    // MARK: Sections

    public func section(_ kind: vd_section_kind, chain: Int = 0xffff, dim: Int = 0xffff) -> vd_section? {
        sections[SectionKey(kind: UInt16(kind.rawValue), chain: UInt16(truncatingIfNeeded: chain), dim: UInt16(truncatingIfNeeded: dim))]
    }

    /// The elements of a section; empty when the section is absent.
    public func array<T>(_ kind: vd_section_kind, chain: Int = 0xffff, dim: Int = 0xffff, as: T.Type = T.self) -> UnsafeBufferPointer<T> {
        guard let s = section(kind, chain: chain, dim: dim) else { return UnsafeBufferPointer(start: nil, count: 0) }
        let p = (base + Int(s.offset)).assumingMemoryBound(to: T.self)
        return UnsafeBufferPointer(start: p, count: Int(s.count))
    }

    public var endpoints: UnsafeBufferPointer<vd_endpoint> { array(VD_SEC_ENDPOINTS) }
    public var nodes: UnsafeBufferPointer<vd_node> { array(VD_SEC_NODES) }
    public var chains: UnsafeBufferPointer<vd_chain> { array(VD_SEC_CHAINS) }
    public var atoms: UnsafeBufferPointer<vd_atom> { array(VD_SEC_ATOMS) }
    public func rules(chain: Int) -> UnsafeBufferPointer<vd_rule> { array(VD_SEC_RULES, chain: chain) }
    public func termRules(chain: Int) -> UnsafeBufferPointer<UInt32> { array(VD_SEC_TERM_RULE, chain: chain) }

    /// The string at `offset` in the string table ("" for VD_NONE).
    public func string(_ offset: UInt32) -> String {
        guard offset != VD_NONE else { return "" }
        let strings = array(VD_SEC_STRINGS, as: UInt8.self)
        return String(cString: strings.baseAddress! + Int(offset))
    }

    /// The chain index for a kind and direction, if the table has it.
    public func chainIndex(kind: vd_chain_kind, direction: vd_direction) -> Int? {
        chains.firstIndex { $0.kind == UInt8(kind.rawValue) && $0.direction == UInt8(direction.rawValue) }
    }

    /// Felix DefaultEndpointToHostAction (VD_E2H_*).
    public var endpointToHostAction: UInt32 { header.flags & VD_TABLE_F_E2H_MASK }

    /// Whether the chains carry bit-vector maps and rows (the BPF data plane needs them); without
    /// them engines index the term sections (VD_TABLE_F_NO_ROWS).
    public var hasBitVectors: Bool { header.flags & VD_TABLE_F_NO_ROWS == 0 }

    /// The ranges of keys term `term` of `chain` accepts in `dim`; nil for a trivial dimension
    /// (every key).
    public func termRanges(chain: Int, dim: Int, term: Int) -> UnsafeBufferPointer<vd_key_range>? {
        let spans = array(VD_SEC_TERM_SPANS, chain: chain, dim: dim, as: vd_span.self)
        guard term < spans.count else { return nil }
        let all = array(VD_SEC_TERM_RANGES, chain: chain, dim: dim, as: vd_key_range.self)
        return UnsafeBufferPointer(rebasing: all[Int(spans[term].first)..<Int(spans[term].first + spans[term].count)])
    }

    /// Bytes a classifier touches: the whole file.
    public var byteCount: Int { size }

    /// Writes the table to `path` through a temporary file and a rename, so a reader never sees
    /// half a table and a failure leaves nothing behind.
    public func write(to path: String) throws(MatchTableError) {
        let tmp = path + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "wb") else {
            throw MatchTableError(file: path, "cannot create \(tmp): \(String(cString: strerror(errno)))")
        }
        let written = fwrite(base, 1, size, f)
        let flushed = fflush(f) == 0 && fsync(fileno(f)) == 0
        fclose(f)
        guard written == size, flushed else {
            unlink(tmp)
            throw MatchTableError(file: path, "write failed: \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw MatchTableError(file: path, "cannot rename \(tmp): \(e)")
        }
    }
}
