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

struct InvalidInputTests {
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
}
