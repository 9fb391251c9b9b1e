// Helpers for the ClassBench tests: temporary files, gzip writing, located errors, the real sets.

import CZlib
import Foundation
import PolicyModel
import Testing

enum Paths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The three 1K-rule ClassBench sets, committed under Benchmarks/classbench.
    static let shared = packageRoot.appendingPathComponent("Benchmarks/classbench")
    static let sets = ["acl1_1k", "fw1_1k", "ipc1_1k"]
    static func rules(_ set: String) -> String { shared.appendingPathComponent("\(set).rules").path }
    static func trace(_ set: String) -> String { shared.appendingPathComponent("\(set).trace.gz").path }

    /// The `verdict` executable built beside this test bundle (build first).
    static var verdictBinary: URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("verdict")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}

/// A fresh directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("classbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Writes `text` gzip-compressed through zlib.
    @discardableResult
    func writeGzip(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        guard let gz = gzopen(p, "wb") else { throw CocoaError(.fileWriteUnknown) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose_w(gz)
        guard n == bytes.count else { throw CocoaError(.fileWriteUnknown) }
        return p
    }
}

/// The error `body` throws, or nil.
func inputError<T>(_ body: () throws(InputError) -> T) -> InputError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Expects `body` to throw an InputError at `file:line:column`, for `field`, whose message contains `message`.
func expectError<T>(file: String, line: Int, column: Int? = nil, field: String, message: String,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws(InputError) -> T) {
    guard let e = inputError(body) else {
        Issue.record("expected an error containing \"\(message)\", but there was none", sourceLocation: sourceLocation)
        return
    }
    #expect(e.location.file == file, "file of: \(e)", sourceLocation: sourceLocation)
    #expect(e.location.line == line, "line of: \(e)", sourceLocation: sourceLocation)
    if let column { #expect(e.location.column == column, "column of: \(e)", sourceLocation: sourceLocation) }
    #expect(e.field == field, "field of: \(e)", sourceLocation: sourceLocation)
    #expect(e.message.contains(message), "message of: \(e)", sourceLocation: sourceLocation)
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built `verdict` with `arguments`.
func runVerdict(_ arguments: [String]) throws -> ProcessResult {
    guard let binary = Paths.verdictBinary else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "verdict binary not found next to the tests: run `swift build` first"])
    }
    let p = Process()
    p.executableURL = binary
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read stderr on another thread so that neither pipe can fill up and block the child.
    nonisolated(unsafe) var e = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        e = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
