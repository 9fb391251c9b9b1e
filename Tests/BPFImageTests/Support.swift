// Fixtures for the BPF image tests: a compiled table with its Swift classifier (the oracle) and
// the packet keys to ask both, from conformance cases, examples and ClassBench sets; and the
// conversions between the Classifier's answers and the model's.

import Addresses
import BPFImage
import CVerdictABI
import Classifier
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import TestFixtures
import Testing

extension BPFPacketKey {
    init(_ k: PacketKey) {
        self.init(source: k.source, destination: k.destination, protocolNumber: k.protocolNumber,
                  sourcePortKey: k.sourcePortKey, destinationPortKey: k.destinationPortKey, icmpTypeCode: k.icmpTypeCode)
    }
}


/// Checks the model over `maps` against the fixture's classifier on every key, in node mode.
func expectNodeMode(_ f: Fixture, _ maps: BPFMapState, _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    precondition(maps.config.mode == VD_MODE_NODE.rawValue)
    let model = BPFImageModel(maps)
    for (i, k) in f.keys.enumerated() {
        let want = BPFVerdict(f.classifier.classify(k))
        do throws(BPFModelFault) {
            let got = try model.verdict(BPFPacketKey(k))
            #expect(got == want, "\(f.name) [\(label)] key \(i) \(k):\n  model:      \(got)\n  classifier: \(want)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(f.name) [\(label)] key \(i): model fault: \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Checks endpoint mode: for each endpoint `e` (at most `limit`) and direction, the model's one
/// point equals Classifier.classifyPoint on the endpoint's own chain.
func expectEndpointMode(_ f: Fixture, _ maps: BPFMapState, endpoints: [Int]? = nil, directions: [vd_direction] = [VD_DIR_INGRESS, VD_DIR_EGRESS],
                        keys: [PacketKey]? = nil, _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    var maps = maps
    let gen = Int(maps.config.generation)
    maps.config.mode = VD_MODE_ENDPOINT.rawValue
    let eps = f.table.endpoints
    for e in endpoints ?? Array(0..<eps.count) {
        withUnsafeMutableBytes(of: &maps.config.endpoint) { $0.storeBytes(of: UInt32(e), toByteOffset: gen * 4, as: UInt32.self) }
        let model = BPFImageModel(maps)
        let kind: vd_chain_kind = eps[e].kind == UInt8(VD_EP_HOST.rawValue) ? VD_CHAIN_HOST : VD_CHAIN_WORKLOAD
        for direction in directions {
            let chain = f.table.chainIndex(kind: kind, direction: direction)!
            for (i, k) in (keys ?? f.keys).enumerated() {
                let rule = f.classifier.classifyPoint(chain: chain, endpoint: e, key: k)
                let allow = rule != VD_NONE && f.table.rules(chain: chain)[Int(rule)].action == UInt8(VD_ACTION_ALLOW.rawValue)
                let want = BPFVerdict(allow: allow, points: [.init(kind: BPFVerdict.Point.chain, allow: allow, chain: UInt8(chain), endpoint: UInt32(e), rule: rule)])
                do throws(BPFModelFault) {
                    let got = try model.verdict(BPFPacketKey(k), direction: direction)
                    #expect(got == want, "\(f.name) [\(label)] endpoint \(e) dir \(direction.rawValue) key \(i) \(k):\n  model:      \(got)\n  classifier: \(want)",
                            sourceLocation: sourceLocation)
                } catch {
                    Issue.record("\(f.name) [\(label)] endpoint \(e) key \(i): model fault: \(error)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}

/// Maps of `capacity` with `f`'s table alone as generation `generation`, active, in node mode.
func singleGeneration(_ f: Fixture, generation: UInt32, capacity: BPFMapCapacity? = nil) throws -> BPFMapState {
    let image = try BPFTableImage(f.table, generation: generation, capacity: capacity)
    var maps = BPFMapState(capacity: image.capacity)
    try maps.write(image)
    maps.config = try image.configWrites(mode: VD_MODE_NODE, current: nil).active
    return maps
}

/// The maps' entries of one generation: its region of every array, its LPM keys, vd_gen[g].
struct GenerationSnapshot: Equatable {
    var arrays: [String: [UInt8]]
    var ip4: [BPFMapState.LPMKey: [UInt32]]
    var ip6: [BPFMapState.LPMKey: [UInt32]]
    var descriptor: [UInt8]

    init(_ m: BPFMapState, generation g: UInt32) {
        func region<T>(_ a: [T], _ map: BPFMap) -> [UInt8] {
            let base = Int(m.capacity.base(of: map, generation: g))
            return a[base..<base + Int(m.capacity[map])].withUnsafeBytes { Array($0) }
        }
        arrays = [
            "eps": region(m.endpoints, .endpoints), "nodes": region(m.nodes, .nodes), "class": region(m.classes, .classes),
            "rows": region(m.rows, .rows), "term": region(m.termRules, .termRules), "rules": region(m.rules, .rules),
        ]
        let head = g
        ip4 = Dictionary(uniqueKeysWithValues: m.ip4.filter { $0.key.head == head }.map { ($0.key, [$0.value.atom, $0.value.endpoint]) })
        ip6 = Dictionary(uniqueKeysWithValues: m.ip6.filter { $0.key.head == head }.map { ($0.key, [$0.value.atom, $0.value.endpoint]) })
        descriptor = withUnsafeBytes(of: m.generations[Int(g)]) { Array($0) }
    }
}

/// Both generations at once: B as generation 0, then A as generation 1 (B still answers), flip
/// (A answers), then A again as generation 0 over B (A still answers from generation 1), flip
/// (A answers from generation 0). Every write leaves the other generation's entries untouched.
func expectTwoGenerations(_ a: Fixture, _ b: Fixture, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let cap = BPFMapCapacity.required(for: a.table).union(.required(for: b.table))
    var maps = BPFMapState(capacity: cap)
    let b0 = try BPFTableImage(b.table, generation: 0, capacity: cap)
    try maps.write(b0)
    maps.config = try b0.configWrites(mode: VD_MODE_NODE, current: nil).active
    expectNodeMode(b, maps, "B as gen 0", sourceLocation: sourceLocation)

    let a1 = try BPFTableImage(a.table, generation: 1, capacity: cap)
    let before0 = GenerationSnapshot(maps, generation: 0)
    try maps.write(a1)
    #expect(GenerationSnapshot(maps, generation: 0) == before0, "writing generation 1 changed generation 0", sourceLocation: sourceLocation)
    let w1 = try a1.configWrites(mode: VD_MODE_NODE, current: maps.config)
    maps.config = w1.staged
    expectNodeMode(b, maps, "B as gen 0, A staged as gen 1", sourceLocation: sourceLocation)
    maps.config = w1.active
    expectNodeMode(a, maps, "A as gen 1 over B as gen 0", sourceLocation: sourceLocation)

    let a0 = try BPFTableImage(a.table, generation: 0, capacity: cap)
    let before1 = GenerationSnapshot(maps, generation: 1)
    try maps.write(a0)
    #expect(GenerationSnapshot(maps, generation: 1) == before1, "writing generation 0 changed generation 1", sourceLocation: sourceLocation)
    #expect(maps.ip4.count == a0.ip4Keys.count + a1.ip4Keys.count, "stale vd_ip4 keys of B remain", sourceLocation: sourceLocation)
    #expect(maps.ip6.count == a0.ip6Keys.count + a1.ip6Keys.count, "stale vd_ip6 keys of B remain", sourceLocation: sourceLocation)
    let w0 = try a0.configWrites(mode: VD_MODE_NODE, current: maps.config)
    maps.config = w0.staged
    expectNodeMode(a, maps, "A as gen 1, A staged as gen 0", sourceLocation: sourceLocation)
    maps.config = w0.active
    expectNodeMode(a, maps, "A as gen 0 over A as gen 1", sourceLocation: sourceLocation)
}
