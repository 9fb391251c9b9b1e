// Where the shared fixtures and examples live, found from this file's path so tests run from any directory.

import Foundation

enum FixturePaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let conformance = fixtures.appendingPathComponent("conformance")
    static let invalid = fixtures.appendingPathComponent("invalid")
    static let examples = packageRoot.appendingPathComponent("examples")

    static func subdirectories(of url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { name in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    /// The conformance case directories that hold stateless probes.
    static var conformanceCases: [String] {
        subdirectories(of: conformance).filter {
            FileManager.default.fileExists(atPath: conformance.appendingPathComponent("\($0)/probes.json").path)
        }
    }

    static var exampleNames: [String] {
        subdirectories(of: examples).filter {
            FileManager.default.fileExists(atPath: examples.appendingPathComponent("\($0)/probes.json").path)
        }
    }

    /// The `verdict` executable built beside this test bundle (scripts/test builds it first).
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
