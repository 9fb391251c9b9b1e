// Helpers for the `verdict audit` tests: run the binary from the package root (so that report
// paths are relative and goldens are stable) and read its JSON.

import Foundation
import Testing

enum AuditRun {
    static let root = FixturePaths.packageRoot

    /// Runs `verdict` with the package root as working directory.
    static func verdict(_ arguments: [String]) throws -> ProcessResult {
        guard let binary = FixturePaths.verdictBinary else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "verdict binary not found next to the tests: run `swift build` first"])
        }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// `verdict audit ARGS -o json -q`, parsed.
    static func json(_ arguments: [String]) throws -> [String: Any] {
        let r = try verdict(["audit"] + arguments + ["-o", "json", "-q"])
        #expect(r.status == 0, "exit \(r.status): \(r.stderr)")
        guard let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw CocoaError(.propertyListReadCorrupt, userInfo: [NSLocalizedDescriptionKey: "not a JSON object: \(r.stdout.prefix(200))"])
        }
        return obj
    }

    /// The findings of a JSON report.
    static func findings(_ report: [String: Any]) -> [[String: Any]] { report["findings"] as? [[String: Any]] ?? [] }

    static func ids(_ report: [String: Any]) -> [String] { findings(report).compactMap { $0["id"] as? String } }

    /// Every file of an example directory, as -f arguments.
    static func example(_ name: String) -> [String] { ["-f", "examples/\(name)"] }
}
