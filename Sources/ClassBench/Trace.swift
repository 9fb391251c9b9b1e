// ClassBench traces: one header per line, 8 tab-separated unsigned decimals
//   srcIP dstIP sport dport proto flags generating-rule expected-first-match
// read plain or gzip-compressed (zlib streams both), into parallel arrays.

import CZlib
import Foundation
import PolicyModel

/// The headers of a trace as parallel arrays (struct of arrays): packet `i` is line `i + 1`.
public struct ClassBenchTrace: Sendable {
    public let file: String
    public private(set) var source: [UInt32] = []
    public private(set) var destination: [UInt32] = []
    public private(set) var sourcePort: [UInt16] = []
    public private(set) var destinationPort: [UInt16] = []
    public private(set) var protocolNumber: [UInt8] = []
    /// Column 8: the index of the first rule that matches the 5-tuple, or -1.
    public private(set) var expected: [Int32] = []

    public var count: Int { expected.count }

    public init(file: String) { self.file = file }

    /// The line of packet `i` in the trace file.
    public func line(of i: Int) -> Int { i + 1 }

    public mutating func append(source s: UInt32, destination d: UInt32, sourcePort sp: UInt16, destinationPort dp: UInt16,
                                protocolNumber p: UInt8, expected e: Int32) {
        source.append(s)
        destination.append(d)
        sourcePort.append(sp)
        destinationPort.append(dp)
        protocolNumber.append(p)
        expected.append(e)
    }

    mutating func reserve(_ n: Int) {
        source.reserveCapacity(n)
        destination.reserveCapacity(n)
        sourcePort.reserveCapacity(n)
        destinationPort.reserveCapacity(n)
        protocolNumber.reserveCapacity(n)
        expected.reserveCapacity(n)
    }

    /// Bytes of the arrays' elements.
    public var byteCount: Int { count * (4 + 4 + 2 + 2 + 1 + 4) }

    // MARK: Reading

    static let columns = ["source", "destination", "sourcePort", "destinationPort", "protocol", "flags", "generatingRule", "expected"]
    static let maxima: [UInt64] = [UInt64(UInt32.max), UInt64(UInt32.max), 65535, 65535, 255, UInt64(UInt32.max), UInt64(Int32.max), UInt64(Int32.max)]

    /// Reads a trace, plain or gzip (zlib's gzread reads a file without the gzip magic as it is),
    /// streaming it in 256 KiB chunks; stops after `limit` headers when given.
    public static func read(path: String, limit: Int? = nil) throws(InputError) -> ClassBenchTrace {
        var trace = ClassBenchTrace(file: path)
        func fail(_ line: Int, _ message: String) -> InputError {
            InputError(SourceLocation(file: path, line: line, column: line > 0 ? 1 : 0), field: "", message)
        }
        if let why = ClassBenchRuleFile.cannotRead(path) { throw fail(0, "cannot read the trace: \(why)") }
        guard let gz = gzopen(path, "rb") else {
            throw fail(0, "cannot open the trace: \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer { if !closed { gzclose_r(gz) } }
        gzbuffer(gz, 1 << 17)
        if let limit { trace.reserve(min(limit, 1 << 20)) }

        let chunk = 1 << 18
        // Bytes read but not yet parsed: at most one partial line, then a new chunk.
        var buffer = [UInt8](repeating: 0, count: chunk + 4096)
        var pending = 0
        var line = 0
        var parser = LineParser(path: path)
        var done = false
        while !done {
            if buffer.count - pending < chunk { buffer.append(contentsOf: repeatElement(0, count: chunk)) }
            let n = buffer.withUnsafeMutableBytes { p in gzread(gz, p.baseAddress! + pending, UInt32(chunk)) }
            if n < 0 { throw fail(line + 1, "cannot read the trace: \(gzipError(gz))") }
            let end = pending + Int(n)
            let atEOF = n == 0
            if atEOF {
                // A gzip stream cut short reads as the end of the file: say so before parsing its last, partial line.
                var errnum: Int32 = 0
                _ = gzerror(gz, &errnum)
                if errnum != Z_OK { throw fail(line + 1, "cannot read the trace: \(gzipError(gz))") }
            }
            // Parse every complete line (and, at the end of the file, a last line without newline).
            var consumed = 0
            try buffer.withUnsafeBufferPointer { (b) throws(InputError) in
                var start = 0
                var i = 0
                while i < end {
                    if b[i] == UInt8(ascii: "\n") {
                        line += 1
                        try parser.parse(b, start, i, line: line, into: &trace)
                        start = i + 1
                        if let limit, trace.count >= limit { done = true; break }
                    }
                    i += 1
                }
                if !done && atEOF && start < end {
                    line += 1
                    try parser.parse(b, start, end, line: line, into: &trace)
                    start = end
                }
                consumed = start
            }
            if atEOF { done = true }
            // Keep the partial line for the next round.
            if consumed < end {
                buffer.withUnsafeMutableBufferPointer { b in
                    b.baseAddress!.update(from: b.baseAddress! + consumed, count: end - consumed)
                }
            }
            pending = end - consumed
            if pending > 1 << 20 { throw fail(line + 1, "line longer than 1 MiB: not a ClassBench trace") }
        }
        closed = true
        let rc = gzclose_r(gz)
        if rc == Z_BUF_ERROR && !(limit.map { trace.count >= $0 } ?? false) {
            throw fail(line, "cannot read the trace: the gzip stream ends early (truncated file)")
        }
        if trace.count == 0 { throw fail(1, "the trace holds no packet headers") }
        return trace
    }

    static func gzipError(_ gz: gzFile) -> String {
        var errnum: Int32 = 0
        guard let msg = gzerror(gz, &errnum) else { return "zlib error \(errnum)" }
        let text = String(cString: msg)
        if errnum == Z_ERRNO { return String(cString: strerror(errno)) }
        if errnum == Z_BUF_ERROR { return "the gzip stream ends early (truncated file)" }
        if errnum == Z_DATA_ERROR { return "corrupt gzip data (\(text))" }
        return text.isEmpty ? "zlib error \(errnum)" : text
    }

    /// Parses one line's bytes without allocating.
    struct LineParser {
        let path: String
        var values = [UInt64](repeating: 0, count: 8)

        mutating func parse(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, line: Int, into trace: inout ClassBenchTrace) throws(InputError) {
            var end = to
            if end > from && b[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            func fail(_ column: Int, _ field: String, _ message: String) -> InputError {
                InputError(SourceLocation(file: path, line: line, column: column), field: field, message)
            }
            var i = from
            var col = 0
            let tab = UInt8(ascii: "\t"), space = UInt8(ascii: " ")
            while i < end && (b[i] == space || b[i] == tab) { i += 1 }
            if i == end { throw fail(1, "", "empty line: expected 8 tab-separated numbers") }
            while i < end {
                if col == 8 {
                    throw fail(i - from + 1, "", "more than 8 columns: expected srcIP dstIP sport dport proto flags rule expected")
                }
                let startColumn = i - from + 1
                var negative = false
                if b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
                var v: UInt64 = 0
                var digits = 0
                while i < end, b[i] >= 48, b[i] <= 57 {
                    if digits < 19 { v = v * 10 + UInt64(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                let field = ClassBenchTrace.columns[col]
                if digits == 0 || (i < end && b[i] != tab && b[i] != space) {
                    var j = startColumn - 1 + from
                    while j < end && b[j] != tab && b[j] != space { j += 1 }
                    let text = String(decoding: UnsafeBufferPointer(rebasing: b[(startColumn - 1 + from)..<j]), as: UTF8.self)
                    throw fail(startColumn, field, "expected an unsigned decimal number, found '\(text)'")
                }
                if negative {
                    // Only column 8 may be -1 (no rule matches).
                    guard col == 7, v == 1, digits == 1 else {
                        throw fail(startColumn, field, col == 7 ? "expected a rule index or -1" : "expected an unsigned decimal number, found a negative one")
                    }
                    values[col] = UInt64.max
                } else {
                    guard digits <= 19, v <= ClassBenchTrace.maxima[col] else {
                        throw fail(startColumn, field, "\(field) is out of range (at most \(ClassBenchTrace.maxima[col]))")
                    }
                    values[col] = v
                }
                col += 1
                while i < end && (b[i] == space || b[i] == tab) { i += 1 }
            }
            guard col == 8 else {
                throw fail(end - from + 1, ClassBenchTrace.columns[col], "expected 8 tab-separated numbers, found \(col); \(ClassBenchTrace.columns[col]) is missing")
            }
            trace.append(source: UInt32(values[0]), destination: UInt32(values[1]), sourcePort: UInt16(values[2]),
                         destinationPort: UInt16(values[3]), protocolNumber: UInt8(values[4]),
                         expected: values[7] == UInt64.max ? -1 : Int32(values[7]))
        }
    }
}
