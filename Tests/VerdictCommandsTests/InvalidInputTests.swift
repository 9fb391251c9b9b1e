// One case per class of bad input: each must be rejected with one message that names the file,
// line, column and field (Tests/Fixtures/invalid/cases.json).

import Foundation
import PolicyModel
import Testing

struct InvalidCase: Decodable, Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int
    var column: Int
    var field: String
    var messageContains: String
    var positionApproximate: Bool?
    var testDescription: String { file }
}

@Suite(.serialized) struct InvalidInputTests {
    static var cases: [InvalidCase] {
        let url = FixturePaths.invalid.appendingPathComponent("cases.json")
        guard let data = try? Data(contentsOf: url) else { return [] }
        struct File: Decodable { var cases: [InvalidCase] }
        return (try? JSONDecoder().decode(File.self, from: data).cases) ?? []
    }

    @Test("the invalid-input table is present") func tableExists() {
        #expect(Self.cases.count >= 20)
    }

    @Test("bad input is rejected with file, line, column and field", arguments: InvalidInputTests.cases)
    func rejected(_ c: InvalidCase) {
        let path = FixturePaths.invalid.appendingPathComponent(c.file).path
        do {
            let loaded = try ResourceLoader.load([.init(path)], recursive: false)
            _ = try PolicySet.resolve(loaded)
            Issue.record("\(c.file) was accepted")
        } catch {
            #expect(error.location.file == path)
            #expect(error.message.contains(c.messageContains), "message: \(error.message)")
            if c.positionApproximate != true {
                #expect(error.location.line == c.line, "\(error)")
                #expect(error.location.column == c.column, "\(error)")
                #expect(error.field == c.field, "\(error)")
            } else {
                #expect(abs(error.location.line - c.line) <= 2, "\(error)")
            }
        }
    }

    @Test("the verdict binary exits 2 and prints the one-line message", arguments: InvalidInputTests.cases)
    func exitCode(_ c: InvalidCase) throws {
        let path = FixturePaths.invalid.appendingPathComponent(c.file).path
        let probes = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-empty-probes-\(getpid()).json")
        try #"{"probes": []}"#.write(to: probes, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: probes) }
        let r = try runVerdict(["check", "-f", path, "--probes", probes.path])
        #expect(r.status == 2, "\(c.file): \(r.stderr)")
        #expect(r.stderr.contains("\(c.file):"), "\(r.stderr)")
        #expect(r.stderr.contains(c.messageContains), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
