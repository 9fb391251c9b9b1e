// The three ClassBench 1K sets: the model over the image gives the Classifier's answer on the
// first headers of each trace, in endpoint mode (the subject pod's ingress, how `bench
// classbench --engine bpf` will run) and in node mode, for generation 0 and generation 1, and
// with two sets present at once.

import BPFImage
import CVerdictABI
import ClassBench
import Classifier
import Addresses
import Foundation
import PolicyCompiler
import TestFixtures
import Testing

enum ClassBenchFixtures {
    /// Headers per set: enough to reach most rules, few enough for a debug build.
    static let headers = 3000

    static func fixture(_ set: String) throws -> (Fixture, subject: Int) {
        let rules = try ClassBenchRuleFile.load(path: Paths.classBench.appendingPathComponent("\(set).rules").path)
        let trace = try ClassBenchTrace.read(path: Paths.classBench.appendingPathComponent("\(set).trace.gz").path, limit: headers)
        let policy = try ClassBenchPolicy(rules: rules, file: set)
        let table = try PolicyCompiler.compile(policy.policySet)
        let keys = (0..<trace.count).map { i in
            let p = policy.packet(trace, i)
            return PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                             destinationPort: p.destinationPort, icmpType: p.icmpType, icmpCode: p.icmpCode)
        }
        return (Fixture(name: "classbench/\(set)", table: table, keys: keys), policy.endpointIndex)
    }
}

@Suite
struct ClassBenchModelTests {
    @Test("ClassBench 1K: model over the image == classifier", arguments: Paths.classBenchSets)
    func classBench(_ set: String) throws {
        let (f, subject) = try ClassBenchFixtures.fixture(set)
        for g: UInt32 in [0, 1] {
            let maps = try singleGeneration(f, generation: g)
            expectEndpointMode(f, maps, endpoints: [subject], directions: [VD_DIR_INGRESS], "gen \(g), endpoint mode")
        }
        // Node mode: most trace headers name no endpoint (their path is empty); the pod's address
        // as destination makes every header meet the subject's ingress.
        var toPod = f
        let podAddress = IPAddressOf.subject
        toPod.keys = f.keys.prefix(500).map { var k = $0; k.destination = podAddress; return k }
        #expect(toPod.keys.allSatisfy { toPod.classifier.classify($0).count == 1 })
        let nodeMaps = try singleGeneration(toPod, generation: 1)
        expectNodeMode(toPod, nodeMaps, "gen 1, node mode, to the pod")
        expectNodeMode(f, nodeMaps, "gen 1, node mode, trace as is")
    }

    @Test("ClassBench 1K: two sets present at once")
    func twoSets() throws {
        let (a, _) = try ClassBenchFixtures.fixture("acl1_1k")
        let (b, _) = try ClassBenchFixtures.fixture("fw1_1k")
        var toPodA = a, toPodB = b
        toPodA.keys = a.keys.prefix(300).map { var k = $0; k.destination = IPAddressOf.subject; return k }
        toPodB.keys = b.keys.prefix(300).map { var k = $0; k.destination = IPAddressOf.subject; return k }
        try expectTwoGenerations(toPodA, toPodB)
    }
}

enum IPAddressOf {
    static let subject = Addresses.IPAddress(ClassBench.podAddress)!
}
