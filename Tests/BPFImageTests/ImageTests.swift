// The image itself: what goes where in each map, for both generations; the LPM keys byte by
// byte; capacities, config writes, stale keys; and faults the model reports on broken maps.

import Addresses
import BPFImage
import CVerdictABI
import Classifier
import MatchTable
import PolicyCompiler
import PolicyModel
import TestFixtures
import Testing

struct ImageTests {
    static func fixture() throws -> Fixture { try Fixture.example("zero-trust-k8s") }

    @Test("every array run lies in its generation's region; bases match the runs")
    func regions() throws {
        let f = try Self.fixture()
        let cap = BPFMapCapacity.required(for: f.table).union(BPFMapCapacity(endpoints: 50, nodes: 5, classes: 1, rows: 1, termRules: 1, rules: 1, ip4: 1, ip6: 1))
        for g: UInt32 in [0, 1] {
            let image = try BPFTableImage(f.table, generation: g, capacity: cap)
            func inRegion<T>(_ run: BPFArrayRun<T>, _ map: BPFMap) -> Bool {
                run.base == g * cap[map] && run.values.count <= Int(cap[map])
            }
            #expect(inRegion(image.endpoints, .endpoints) && inRegion(image.nodes, .nodes) && inRegion(image.classes, .classes))
            #expect(inRegion(image.rows, .rows) && inRegion(image.termRules, .termRules) && inRegion(image.rules, .rules))
            let d = image.descriptor
            #expect(d.endpoint_base == g * cap.endpoints && d.node_base == g * cap.nodes)
            #expect(d.endpoint_count == UInt32(f.table.endpoints.count) && d.node_count == UInt32(f.table.nodes.count))
            #expect(d.e2h_action == f.table.endpointToHostAction)
            for (i, c) in f.table.chains.enumerated() {
                let b = image.chain(i)
                #expect(b.term_count == c.term_count && b.words == c.words && b.icmp_keys == UInt32(c.icmp_keys) && b.trivial_dims == UInt32(c.trivial_dims))
                // Terms and rules of the chain, as the table has them.
                let terms = image.termRules.values[Int(b.term_base - image.termRules.base)...].prefix(Int(c.term_count))
                #expect(Array(terms) == Array(f.table.termRules(chain: i)))
                let rules = image.rules.values[Int(b.rule_base - image.rules.base)...].prefix(Int(c.rule_count))
                #expect(rules.map(\.action) == f.table.rules(chain: i).map(\.action))
                #expect(rules.map(\.pass_target) == f.table.rules(chain: i).map(\.pass_target))
                let mapBase = withUnsafeBytes(of: b.map_base) { Array($0.bindMemory(to: UInt32.self)) }
                let rowBase = withUnsafeBytes(of: b.row_base) { Array($0.bindMemory(to: UInt32.self)) }
                for d in 0..<6 {
                    if c.trivial_dims & (1 << UInt8(d)) != 0 {
                        #expect(mapBase[d] == VD_NONE && rowBase[d] == VD_NONE)
                        continue
                    }
                    let map: [UInt32] = DimensionContents.uses16BitMap(d)
                        ? f.table.array(VD_SEC_MAP, chain: i, dim: d, as: UInt16.self).map(UInt32.init)
                        : Array(f.table.array(VD_SEC_MAP, chain: i, dim: d, as: UInt32.self))
                    let start = Int(mapBase[d] - image.classes.base)
                    #expect(Array(image.classes.values[start..<start + map.count]) == map, "chain \(i) dim \(d) classes")
                    let rows = Array(f.table.array(VD_SEC_ROWS, chain: i, dim: d, as: UInt64.self))
                    let rs = Int(rowBase[d] - image.rows.base)
                    #expect(Array(image.rows.values[rs..<rs + rows.count]) == rows, "chain \(i) dim \(d) rows")
                }
            }
        }
    }

    @Test("generations 0 and 1 differ only in bases and the LPM keys' generation word")
    func generationsDiffer() throws {
        let f = try Self.fixture()
        let a = try BPFTableImage(f.table, generation: 0), b = try BPFTableImage(f.table, generation: 1)
        #expect(a.classes.values == b.classes.values && a.rows.values == b.rows.values && a.termRules.values == b.termRules.values)
        #expect(b.classes.base == a.capacity.classes && b.rows.base == a.capacity.rows && b.rules.base == a.capacity.rules)
        #expect(a.ip4Keys.count == b.ip4Keys.count && a.ip6Keys.count == b.ip6Keys.count)
        for (k0, k1) in zip(a.ip4Keys, b.ip4Keys) {
            let b0 = withUnsafeBytes(of: k0) { Array($0) }, b1 = withUnsafeBytes(of: k1) { Array($0) }
            #expect(Array(b0[4..<8]) == [0, 0, 0, 0] && Array(b1[4..<8]) == [0, 0, 0, 1], "generation word is big-endian")
            #expect(b0[0..<4] == b1[0..<4] && b0[8...] == b1[8...])
        }
    }

    @Test("LPM entries: every atom's interval exactly, masked keys, network byte order")
    func lpmEntries() throws {
        let f = try Self.fixture()
        let image = try BPFTableImage(f.table, generation: 1)
        let bounds = Array(f.table.array(VD_SEC_V4_BOUNDS, as: UInt32.self))
        // Sum of prefix sizes per atom == the atom's size; keys masked; prefixlen in 32...64.
        var size = [UInt64](repeating: 0, count: bounds.count)
        for (k, v) in zip(image.ip4Keys, image.ip4Values) {
            let bytes = withUnsafeBytes(of: k.addr) { Array($0) }
            let addr = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let len = Int(k.prefixlen) - 32
            #expect((0...32).contains(len))
            let hostBits = UInt32(32 - len)
            #expect(len == 0 || hostBits == 0 || addr & ~(~UInt32(0) << hostBits) == 0 || hostBits == 32, "unmasked key")
            let atom = Int(v.atom)
            #expect(atom < bounds.count)
            let hi = atom + 1 < bounds.count ? UInt64(bounds[atom + 1]) - 1 : UInt64(UInt32.max)
            #expect(UInt64(addr) >= UInt64(bounds[atom]) && UInt64(addr) + (UInt64(1) << hostBits) - 1 <= hi)
            #expect(v.endpoint == f.table.atoms[atom].endpoint)
            size[atom] += UInt64(1) << hostBits
        }
        for i in bounds.indices {
            let hi = i + 1 < bounds.count ? UInt64(bounds[i + 1]) : UInt64(1) << 32
            #expect(size[i] == hi - UInt64(bounds[i]), "atom \(i)")
        }
        // An endpoint's address finds its endpoint through the model's LPM lookup.
        var maps = BPFMapState(capacity: image.capacity)
        try maps.write(image)
        let model = BPFImageModel(maps)
        for k in f.keys {
            let ref = try model.lookup(k.source, generation: 1)
            #expect(Int(ref.atom) == f.classifier.atom(of: k.source))
            #expect(ref.endpoint == (f.classifier.endpoint(owning: k.source).map(UInt32.init) ?? VD_NONE))
        }
        #expect(throws: BPFModelFault.self) { try model.lookup(IPAddress("10.0.0.1")!, generation: 0) }
    }

    @Test("a table compiled without bit-vector rows is refused by name, not loaded as empty rows")
    func tableWithoutRows() throws {
        let set = try PolicySet.resolve(ResourceLoader.load([.init(Paths.examples.appendingPathComponent("zero-trust-k8s").path)], recursive: false))
        let table = try PolicyCompiler.compile(set, options: .termIndexOnly)
        #expect(!table.hasBitVectors)
        #expect(throws: BPFImageError.self) { try BPFTableImage(table, generation: 0) }
        do throws(BPFImageError) {
            _ = try BPFTableImage(table, generation: 0)
        } catch {
            #expect(error.message.contains("--bit-vectors always"))
        }
        // The same policies with rows load.
        _ = try BPFTableImage(try PolicyCompiler.compile(set, options: .bpf), generation: 0)
    }

    @Test("capacities: too small, out of range, generation 2")
    func capacityErrors() throws {
        let f = try Self.fixture()
        let need = BPFMapCapacity.required(for: f.table)
        #expect(need.ip4 >= 1 && need.classes > 0 && need.rows > 0)
        for m in BPFMap.allCases where need[m] > 1 {
            var small = need
            small[m] -= 1
            #expect(throws: BPFImageError.self, "\(m.name)") { try BPFTableImage(f.table, generation: 0, capacity: small) }
        }
        var huge = need
        huge.rows = BPFMapCapacity.limit + 1
        #expect(throws: BPFImageError.self) { try BPFTableImage(f.table, generation: 0, capacity: huge) }
        #expect(throws: BPFImageError.self) { try BPFTableImage(f.table, generation: 2) }
        // Maps of another capacity refuse the image (its bases would land in the wrong region).
        var maps = BPFMapState(capacity: need.union(BPFMapCapacity(endpoints: 99, nodes: 1, classes: 1, rows: 1, termRules: 1, rules: 1, ip4: 1, ip6: 1)))
        #expect(throws: BPFImageError.self) { try maps.write(try BPFTableImage(f.table, generation: 0)) }
        #expect(need.maxEntries(of: .rows) == 2 * need.rows)
        #expect(need.base(of: .ip4, generation: 1) == 0 && need.base(of: .rules, generation: 1) == need.rules)
    }

    @Test("vd_cfg writes: first load, staged then flipped, endpoint mode, refused changes")
    func configWrites() throws {
        let f = try Self.fixture()
        let a0 = try BPFTableImage(f.table, generation: 0), a1 = try BPFTableImage(f.table, generation: 1)
        let first = try a0.configWrites(mode: VD_MODE_ENDPOINT, endpoint: 2, current: nil)
        #expect(first.active.generation == 0 && first.staged.generation == 0 && first.active.mode == VD_MODE_ENDPOINT.rawValue)
        #expect(first.active.endpoint.0 == 2)
        let next = try a1.configWrites(mode: VD_MODE_ENDPOINT, endpoint: 3, current: first.active)
        #expect(next.staged.generation == 0 && next.staged.endpoint.0 == 2 && next.staged.endpoint.1 == 3)
        var flipped = next.staged
        flipped.generation = 1
        #expect(withUnsafeBytes(of: flipped) { Array($0) } == withUnsafeBytes(of: next.active) { Array($0) }, "the flip changes only the generation")
        #expect(throws: BPFImageError.self) { try a1.configWrites(mode: VD_MODE_NODE, current: first.active) }
        #expect(throws: BPFImageError.self) { try a0.configWrites(mode: VD_MODE_ENDPOINT, endpoint: 1, current: first.active) }
        #expect(throws: BPFImageError.self) { try a0.configWrites(mode: VD_MODE_ENDPOINT, endpoint: UInt32(f.table.endpoints.count), current: nil) }
        #expect(throws: BPFImageError.self) { try a0.configWrites(mode: VD_MODE_ENDPOINT, current: nil) }
        let node = try a0.configWrites(mode: VD_MODE_NODE, current: nil).active
        #expect(node.mode == VD_MODE_NODE.rawValue && node.endpoint.0 == VD_NONE && node.endpoint.1 == VD_NONE)
    }

    @Test("stale LPM keys: what a previous image of the generation wrote and this one does not")
    func staleKeys() throws {
        let a = try Fixture.example("zero-trust-k8s"), b = try Fixture.example("icmp-howto")
        let a0 = try BPFTableImage(a.table, generation: 0), b0 = try BPFTableImage(b.table, generation: 0)
        let b1 = try BPFTableImage(b.table, generation: 1)
        #expect(a0.staleIP4Keys(previous: a0).isEmpty && a0.staleIP6Keys(previous: a0).isEmpty)
        #expect(a0.staleIP4Keys(previous: b1).isEmpty, "another generation's keys are never stale")
        let stale = a0.staleIP4Keys(previous: b0)
        let kept = Set(a0.ip4Keys.map { BPFMapState.LPMKey($0) })
        #expect(stale.allSatisfy { !kept.contains(BPFMapState.LPMKey($0)) })
        #expect(stale.count + b0.ip4Keys.filter { kept.contains(BPFMapState.LPMKey($0)) }.count == b0.ip4Keys.count)
    }

    @Test("model faults: an unwritten generation, a bad config")
    func faults() throws {
        let f = try Self.fixture()
        var maps = try singleGeneration(f, generation: 0)
        let k = BPFPacketKey(f.keys[0])
        maps.config.generation = 1
        #expect(throws: BPFModelFault.self) { try BPFImageModel(maps).verdict(k) }
        maps.config.generation = 2
        #expect(throws: BPFModelFault.self) { try BPFImageModel(maps).verdict(k) }
        maps.config.generation = 0
        maps.config.mode = 7
        #expect(throws: BPFModelFault.self) { try BPFImageModel(maps).verdict(k) }
        maps.config.mode = VD_MODE_ENDPOINT.rawValue
        maps.config.endpoint.0 = VD_NONE
        #expect(throws: BPFModelFault.self) { try BPFImageModel(maps).verdict(k) }
    }

    @Test("vd_bpf_result round trip") func resultRoundTrip() {
        let v = BPFVerdict(allow: false, points: [
            .init(kind: 0, allow: true, chain: 1, endpoint: 4, rule: 7),
            .init(kind: 2, allow: false, chain: 0, endpoint: 9, rule: VD_NONE),
        ])
        let r = v.result
        #expect(r.count == 2 && r.allow == 0 && r.points.1.kind == 2 && r.points.0.rule == 7)
        #expect(BPFVerdict(r) == v)
    }
}
