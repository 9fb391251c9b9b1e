// Trace reading: plain and gzip, streaming across chunk boundaries, --limit, and bad input.

import ClassBench
import Foundation
import PolicyModel
import Testing

struct TraceTests {
    static let sample = """
    174573516\t3982404742\t65535\t1350\t6\t268439552\t559\t559
    3192338096\t1843654012\t0\t65535\t17\t0\t646\t-1
    4294967295\t0\t80\t443\t1\t4294967295\t0\t0

    """

    func checkSample(_ t: ClassBenchTrace) {
        #expect(t.count == 3)
        #expect(t.source == [174573516, 3192338096, 4294967295])
        #expect(t.destination == [3982404742, 1843654012, 0])
        #expect(t.sourcePort == [65535, 0, 80])
        #expect(t.destinationPort == [1350, 65535, 443])
        #expect(t.protocolNumber == [6, 17, 1])
        #expect(t.expected == [559, -1, 0])
    }

    @Test func plainAndGzipGiveTheSameHeaders() throws {
        let dir = try TemporaryDirectory()
        checkSample(try ClassBenchTrace.read(path: try dir.write("t.trace", Self.sample)))
        checkSample(try ClassBenchTrace.read(path: try dir.writeGzip("t.trace.gz", Self.sample)))
        // No newline after the last line, and CRLF line ends.
        checkSample(try ClassBenchTrace.read(path: try dir.write("nonl.trace", String(Self.sample.dropLast()))))
        checkSample(try ClassBenchTrace.read(path: try dir.write("crlf.trace", Self.sample.replacingOccurrences(of: "\n", with: "\r\n"))))
    }

    @Test func streamsLargeFilesAcrossChunksAndStopsAtTheLimit() throws {
        let dir = try TemporaryDirectory()
        // About 2.5 MB: lines straddle the 256 KiB read chunks many times.
        var text = ""
        let n = 60_000
        for i in 0..<n { text += "\(UInt32(i) &* 2654435761)\t\(i)\t\(i % 65536)\t\((i * 7) % 65536)\t\(i % 256)\t0\t\(i % 1000)\t\(i % 1000)\n" }
        let gz = try dir.writeGzip("big.trace.gz", text)
        let t = try ClassBenchTrace.read(path: gz)
        #expect(t.count == n)
        for i in [0, 1, 4095, 4096, 30_000, n - 1] {
            #expect(t.source[i] == UInt32(i) &* 2654435761)
            #expect(t.destination[i] == UInt32(i))
            #expect(t.sourcePort[i] == UInt16(i % 65536))
            #expect(t.destinationPort[i] == UInt16((i * 7) % 65536))
            #expect(t.protocolNumber[i] == UInt8(i % 256))
            #expect(t.expected[i] == Int32(i % 1000))
        }
        let limited = try ClassBenchTrace.read(path: gz, limit: 12_345)
        #expect(limited.count == 12_345)
        #expect(limited.expected.last == Int32(12_344 % 1000))
    }

    @Test func badLinesNameLineColumnAndColumnName() throws {
        let dir = try TemporaryDirectory()
        let good = "1\t2\t3\t4\t6\t0\t0\t0\n"
        func check(_ bad: String, column: Int, field: String, message: String, gzip: Bool = false,
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
            let text = good + bad + "\n" + good
            let path = gzip ? try dir.writeGzip("bad.trace.gz", text) : try dir.write("bad.trace", text)
            expectError(file: path, line: 2, column: column, field: field, message: message, sourceLocation: sourceLocation) { () throws(InputError) in
                try ClassBenchTrace.read(path: path)
            }
        }
        try check("1\t2\t3\t4\t6\t0\t0", column: 14, field: "expected", message: "expected is missing")
        try check("1\t2\t3\t4\t6\t0\t0\t0\t9", column: 17, field: "", message: "more than 8 columns")
        try check("1\t2\t3\t65536\t6\t0\t0\t0", column: 7, field: "destinationPort", message: "out of range")
        try check("1\t2\t3\t4\t256\t0\t0\t0", column: 9, field: "protocol", message: "out of range")
        try check("4294967296\t2\t3\t4\t6\t0\t0\t0", column: 1, field: "source", message: "out of range")
        try check("1\t2.5\t3\t4\t6\t0\t0\t0", column: 3, field: "destination", message: "found '2.5'")
        try check("1\t2\tx\t4\t6\t0\t0\t0", column: 5, field: "sourcePort", message: "found 'x'", gzip: true)
        try check("1\t2\t3\t4\t6\t0\t0\t-2", column: 15, field: "expected", message: "a rule index or -1")
        try check("1\t2\t-3\t4\t6\t0\t0\t0", column: 5, field: "sourcePort", message: "negative")
        try check("", column: 1, field: "", message: "empty line")
    }

    @Test func truncatedAndCorruptGzipAndMissingFiles() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for i in 0..<20_000 { text += "\(i)\t\(i)\t1\t2\t6\t0\t0\t0\n" }
        let whole = try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("whole.gz", text)))
        let truncated = try dir.write("truncated.gz", bytes: Array(whole.prefix(whole.count / 2)))
        // The error names the line where the data stops.
        let t = inputError { () throws(InputError) in try ClassBenchTrace.read(path: truncated) }
        #expect(t?.location.file == truncated)
        #expect((t?.location.line ?? 0) > 1000, "\(String(describing: t))")
        #expect(t?.message.contains("the gzip stream ends early (truncated file)") == true, "\(String(describing: t))")
        var bytes = Array(whole)
        for i in 40..<80 { bytes[i] ^= 0x5A }
        let corrupt = try dir.write("corrupt.gz", bytes: bytes)
        let e = inputError { () throws(InputError) in try ClassBenchTrace.read(path: corrupt) }
        #expect(e != nil && e!.location.file == corrupt)
        #expect(e.map { $0.message.contains("corrupt gzip data") || $0.message.contains("expected") } == true, "\(String(describing: e))")

        expectError(file: "/nonexistent/t.gz", line: 0, field: "", message: "no such file") { () throws(InputError) in
            try ClassBenchTrace.read(path: "/nonexistent/t.gz")
        }
        expectError(file: dir.url.path, line: 0, field: "", message: "is a directory") { () throws(InputError) in
            try ClassBenchTrace.read(path: dir.url.path)
        }
        let empty = try dir.write("empty.trace", "")
        expectError(file: empty, line: 1, field: "", message: "no packet headers") { () throws(InputError) in
            try ClassBenchTrace.read(path: empty)
        }
    }
}
