// The model over the image answers exactly as the Classifier over the table: every conformance
// case and every example, in node mode as generation 0 and as generation 1, with two tables
// present at once (each written over the other's generation), and in endpoint mode for every
// endpoint in both directions.

import BPFImage
import CVerdictABI
import Classifier
import TestFixtures
import Testing

struct ModelConformanceTests {
    @Test("conformance cases exist") func casesExist() {
        #expect(Paths.conformanceCases.count >= 40)
        #expect(Paths.exampleNames.count >= 2)
    }

    @Test("conformance: model over the image == classifier", arguments: Paths.conformanceCases)
    func conformance(_ name: String) throws {
        let cases = Paths.conformanceCases
        let f = try Fixture.conformance(name)
        // The next case's table shares the maps with this one.
        let other = try Fixture.conformance(cases[(cases.firstIndex(of: name)! + 1) % cases.count])
        try check(f, other)
    }

    @Test("examples: model over the image == classifier", arguments: Paths.exampleNames)
    func examples(_ name: String) throws {
        let names = Paths.exampleNames
        let f = try Fixture.example(name)
        let other = try Fixture.example(names[(names.firstIndex(of: name)! + 1) % names.count])
        try check(f, other)
    }

    func check(_ f: Fixture, _ other: Fixture) throws {
        #expect(!f.keys.isEmpty)
        for g: UInt32 in [0, 1] {
            let maps = try singleGeneration(f, generation: g)
            expectNodeMode(f, maps, "gen \(g) alone")
            expectEndpointMode(f, maps, "gen \(g) alone, endpoint mode")
        }
        try expectTwoGenerations(f, other)
    }
}
