// A compiled table in the kernel: the embedded XDP or TC object opened, its maps sized for the
// table (two generations, BPFMapCapacity), loaded through the verifier, and filled from a
// BPFTableImage in the documented order (docs/DECISIONS.md 26). Reloads write the inactive
// generation and flip; per-rule hits come back per chain and rule; one frame at a time runs
// through BPF_PROG_TEST_RUN with its vd_last result read back.

import BPFEmbedded
import BPFImage
import BPFLoader
import CVerdictABI
import MatchTable

/// The table-derived maps (BPFImage's enum; BPFLoader's BPFMap is a map handle).
public typealias BPFTableMap = BPFImage.BPFMap

/// Which embedded object a plane loads, and so which programs it can run.
public enum BPFObjectKind: String, Sendable, CaseIterable {
    /// `policy_xdp`: `vd_xdp` (traffic entering an interface).
    case xdp
    /// `policy_tc`: `vd_tc_ingress` and `vd_tc_egress` (clsact); the only one with `vd_replay_clock`.
    case tc

    var objectName: String { self == .xdp ? "policy_xdp" : "policy_tc" }
    var bytes: [UInt8] { self == .xdp ? BPFEmbedded.policyXDP : BPFEmbedded.policyTC }
}

/// A program of the embedded objects.
public enum BPFHook: String, Sendable, CaseIterable {
    case xdp = "vd_xdp"
    case tcIngress = "vd_tc_ingress"
    case tcEgress = "vd_tc_egress"

    public var object: BPFObjectKind { self == .xdp ? .xdp : .tc }
}

/// vd_bpf_result.conntrack (bpf/lib/consts.h enum vd_ct_state, DECISIONS 30).
public enum BPFConntrackState: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case new = 0, established = 1, related = 2, invalid = 3, unparsed = 4, fragment = 5, untracked = 6, noTable = 7

    public var description: String {
        switch self {
        case .new: return "new"
        case .established: return "established"
        case .related: return "related"
        case .invalid: return "invalid"
        case .unparsed: return "unparsed"
        case .fragment: return "fragment"
        case .untracked: return "untracked"
        case .noTable: return "no-table"
        }
    }
}

/// One frame through BPF_PROG_TEST_RUN: the program's action and the vd_last slot it wrote.
public struct BPFRun: @unchecked Sendable {
    /// The program's return value (XDP_DROP 1 / XDP_PASS 2; TC_ACT_OK 0 / TC_ACT_SHOT 2).
    public var returnValue: UInt32
    /// The data-plane verdict: the program passed the frame.
    public var passed: Bool
    /// vd_last as the program left it.
    public var result: vd_bpf_result
    /// Mean duration per repetition, as the kernel measured it.
    public var durationNanoseconds: UInt32

    /// The conntrack state (nil for a value outside vd_ct_state).
    public var conntrack: BPFConntrackState? { BPFConntrackState(rawValue: result.conntrack) }

    /// The stateless policy verdict of the points (allow when every point allowed): what the
    /// program classified before conntrack had its say.
    public var policy: BPFVerdict {
        var v = BPFVerdict(result)
        v.allow = v.points.allSatisfy(\.allow)
        return v
    }
}

/// A table loaded into the kernel through the embedded BPF objects.
///
/// ```swift
/// let plane = try BPFTablePlane(table, object: .xdp)
/// let run = try plane.run(frame)              // BPF_PROG_TEST_RUN, vd_last read back
/// try plane.reload(newTable)                  // inactive generation, then the flip
/// let hits = try plane.hits()                 // [chain][rule], summed over CPUs
/// ```
///
/// Not thread-safe: one caller at a time (the maps are shared state, and `run` reads the
/// vd_last slot of whatever CPU the test run used).
public final class BPFTablePlane {
    public let objectKind: BPFObjectKind
    public let object: BPFObject
    /// Entries per generation of every table-derived map (fixed for the life of the maps).
    public let capacity: BPFMapCapacity
    /// The table packets use now.
    public private(set) var table: MatchTable
    /// vd_cfg[0] as last written.
    public private(set) var config: vd_bpf_config
    /// vd_gen[g] as last written, per generation (nil before the first write of g).
    public private(set) var descriptors: [vd_bpf_generation?] = [nil, nil]

    private let lastMap: BPFLoader.BPFMap
    private let hitsMap: BPFLoader.BPFMap
    private var programs: [BPFHook: BPFProgram] = [:]
    private let cpus: Int
    private var pending: (table: MatchTable, active: vd_bpf_config)?
    private let zeroResults: [vd_bpf_result]
    /// Waits out packets still reading the retired generation before a stage rewrites it.
    private let readers: ReaderBarrier

    /// The generation packets use now.
    public var activeGeneration: UInt32 { config.generation }

    /// Opens, sizes and loads the embedded object, then writes `table` as generation
    /// `generation` (0 unless asked) and activates it.
    ///
    /// - Parameters:
    ///   - object: which embedded object (XDP or TC).
    ///   - mode, endpoint: node mode, or endpoint mode enforcing endpoint `endpoint` of the table.
    ///   - headroom: extra capacity per map for later reloads, as a fraction of what `table`
    ///     needs (0.25: a quarter more), on top of `minimumCapacity`.
    ///   - replayClock: TC only: conntrack takes time from `skb->tstamp` (``run(_:hook:timestampNanoseconds:)``).
    ///   - conntrackEntries: vd_ct's size (nil: the object's default).
    ///   - sharing: maps (by name) to take from pins under a directory instead of creating them
    ///     (a reload that grows the maps keeps `vd_ct` this way, so established flows survive;
    ///     their pinned sizes are kept).
    ///   - generation: the generation `table` is written as and activated (0 or 1).
    public init(_ table: MatchTable, object: BPFObjectKind = .xdp, mode: vd_bpf_mode = VD_MODE_NODE, endpoint: UInt32? = nil,
                headroom: Double = 0.25, minimumCapacity: BPFMapCapacity? = nil, replayClock: Bool = false,
                conntrackEntries: UInt32? = nil, verifierStatistics: Bool = false,
                sharing: (directory: String, maps: Set<String>)? = nil, generation: UInt32 = 0) throws(BPFError) {
        guard headroom >= 0 && headroom <= 16 else {
            throw BPFError(operation: "BPFTablePlane", errno: 22, message: "headroom \(headroom) is not between 0 and 16")
        }
        guard generation < VD_BPF_GENERATIONS else {
            throw BPFError(operation: "BPFTablePlane", errno: 22, message: "generation \(generation) is not 0 or 1")
        }
        guard table.hasBitVectors else { throw BPFError(operation: "BPFTablePlane", errno: 22, message: BPFTableImage.noBitVectors) }
        var cap = Self.scaled(BPFMapCapacity.required(for: table), by: 1 + headroom)
        if let minimumCapacity { cap = cap.union(minimumCapacity) }
        for m in BPFTableMap.allCases where cap[m] > BPFMapCapacity.limit {
            throw BPFError(operation: "BPFTablePlane", errno: 7, message: "\(m.name): capacity \(cap[m]) is above \(BPFMapCapacity.limit)")
        }
        objectKind = object
        capacity = cap
        self.table = table
        let o = try BPFObject(bytes: object.bytes, name: object.objectName)
        for m in BPFTableMap.allCases { try o.map(m.name).setMaxEntries(cap.maxEntries(of: m)) }
        // vd_hits is laid out like vd_rules (DECISIONS 26).
        try o.map("vd_hits").setMaxEntries(cap.maxEntries(of: .rules))
        if let conntrackEntries { try o.map("vd_ct").setMaxEntries(conntrackEntries) }
        if let sharing {
            let reused = Set(try o.reusePinnedMaps(under: sharing.directory, only: sharing.maps))
            let missing = sharing.maps.subtracting(reused).sorted()
            guard missing.isEmpty else {
                throw BPFError(operation: "BPFTablePlane", errno: 2, message: "no pinned \(missing.joined(separator: ", ")) under \(sharing.directory)")
            }
        }
        if replayClock {
            guard object == .tc else {
                throw BPFError(operation: "BPFTablePlane", errno: 22, message: "vd_replay_clock exists only in the TC object")
            }
            try o.setReadOnlyGlobal("vd_replay_clock", to: UInt32(1))
        }
        try o.load(verifierStatistics: verifierStatistics)
        self.object = o
        readers = try ReaderBarrier()
        lastMap = try o.map("vd_last")
        hitsMap = try o.map("vd_hits")
        for h in BPFHook.allCases where h.object == object { programs[h] = try o.program(h.rawValue) }
        cpus = (try lastMap.lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self))?.count ?? 1
        zeroResults = [vd_bpf_result](repeating: vd_bpf_result(), count: cpus)
        config = vd_bpf_config(generation: generation, mode: mode.rawValue, endpoint: (VD_NONE, VD_NONE))

        // First load: nothing reads the maps yet; one generation, written in the reload order.
        let image = try Self.image(table, generation: generation, capacity: cap)
        try write(image)
        let writes = try Self.configWrites(image, mode: mode, endpoint: endpoint, current: nil)
        try publish(writes)
    }

    /// The maps every plane pins and a reopening plane needs back: the table-derived ones,
    /// vd_hits, vd_cfg, vd_gen, vd_ct (so flows survive a reload) and vd_last.
    public static let pinnedMapNames: [String] = BPFTableMap.allCases.map(\.name) + ["vd_hits", "vd_cfg", "vd_gen", "vd_ct", "vd_last"]

    /// Reopens the maps a previous plane pinned under `directory` (``pin(under:)``): the
    /// embedded object is loaded over them (so its programs are checked against them), and the
    /// configuration, generation descriptors and capacity are read back from the kernel.
    /// `table` must be the table that is active there (the caller keeps it: the maps hold its
    /// image, not its names). Nothing is written: ``reload(_:endpoint:)`` is the next step.
    public init(reopening directory: String, table: MatchTable, object: BPFObjectKind) throws(BPFError) {
        let o = try BPFObject(bytes: object.bytes, name: object.objectName)
        let reused = Set(try o.reusePinnedMaps(under: directory))
        let missing = Self.pinnedMapNames.filter { !reused.contains($0) }
        guard missing.isEmpty else {
            throw BPFError(operation: "reopen \(directory)", errno: 2, message: "no pinned \(missing.joined(separator: ", ")) under \(directory)")
        }
        try o.load()
        self.object = o
        objectKind = object
        self.table = table
        readers = try ReaderBarrier()
        var cap = BPFMapCapacity.required(for: table)
        for m in BPFTableMap.allCases { cap[m] = try o.map(m.name).maxEntries / VD_BPF_GENERATIONS }
        capacity = cap
        lastMap = try o.map("vd_last")
        hitsMap = try o.map("vd_hits")
        for h in BPFHook.allCases where h.object == object { programs[h] = try o.program(h.rawValue) }
        cpus = (try lastMap.lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self))?.count ?? 1
        zeroResults = [vd_bpf_result](repeating: vd_bpf_result(), count: cpus)
        let cfg = try o.map("vd_cfg"), gen = try o.map("vd_gen")
        guard let c = try cfg.lookup(key: UInt32(0), as: vd_bpf_config.self), c.generation < VD_BPF_GENERATIONS else {
            throw BPFError(operation: "reopen \(directory)", errno: 22, message: "vd_cfg holds no valid generation")
        }
        config = c
        descriptors = [try gen.lookup(key: UInt32(0), as: vd_bpf_generation.self), try gen.lookup(key: UInt32(1), as: vd_bpf_generation.self)]
    }

    /// Pins the maps of ``pinnedMapNames`` under `directory` (created; on bpffs), so that the
    /// table outlives this process and ``init(reopening:table:object:)`` finds it.
    public func pin(under directory: String) throws(BPFError) {
        try requireBPFFileSystem(directory)
        for name in Self.pinnedMapNames { try object.map(name).pin(at: directory + "/" + name) }
    }

    /// Writes `table` into the inactive generation and flips to it (``stage(_:endpoint:)``, then
    /// ``flip()``). Packets classified before the flip see the old table whole, packets after it
    /// the new one whole.
    ///
    /// - Parameter endpoint: in endpoint mode, the new table's endpoint to enforce (required).
    /// - Throws: ``BPFError`` when the table does not fit the maps' capacity (E2BIG: a fresh
    ///   plane is needed) or a map operation fails; the active generation is untouched then.
    public func reload(_ table: MatchTable, endpoint: UInt32? = nil) throws(BPFError) {
        try stage(table, endpoint: endpoint)
        try flip()
    }

    /// The first half of a reload: `table` written into the inactive generation, and vd_cfg's
    /// staged write (the new generation's endpoint filled in, `generation` unchanged). Packets
    /// still use the active table until ``flip()``.
    public func stage(_ table: MatchTable, endpoint: UInt32? = nil) throws(BPFError) {
        let g = 1 - config.generation
        let image = try Self.image(table, generation: g, capacity: capacity)
        // Validate the config writes before touching any map.
        let writes = try Self.configWrites(image, mode: vd_bpf_mode(config.mode), endpoint: endpoint, current: config)
        pending = nil
        // Packets that read vd_cfg before the last flip may still be walking generation g:
        // wait for them to finish before overwriting it (DECISIONS 35).
        try readers.wait()
        try write(image)
        try object.map("vd_cfg").update(key: UInt32(0), value: writes.staged)
        config = writes.staged
        pending = (table, writes.active)
    }

    /// The second half of a reload: vd_cfg's flip (only the aligned `generation` word changes).
    public func flip() throws(BPFError) {
        guard let p = pending else {
            throw BPFError(operation: "flip", errno: 22, message: "no staged generation: stage a table first")
        }
        try object.map("vd_cfg").update(key: UInt32(0), value: p.active)
        config = p.active
        table = p.table
        pending = nil
    }

    /// Whether a staged table waits for ``flip()``.
    public var hasStagedTable: Bool { pending != nil }

    /// Writes one generation's data (never vd_cfg): g's stale LPM keys deleted, LPM entries and
    /// array runs written, g's hit counters zeroed, then vd_gen[g].
    func write(_ image: BPFTableImage) throws(BPFError) {
        let g = image.generation
        let ip4 = try object.map("vd_ip4"), ip6 = try object.map("vd_ip6")
        // 1. g's LPM keys that this image does not write: a stale longer prefix would win the
        //    lookup, and a trie must never hold more than capacity keys of one generation.
        let genBE = g.bigEndian
        let keep4 = Set(image.ip4Keys.map(Self.bytes)), keep6 = Set(image.ip6Keys.map(Self.bytes))
        for k in try ip4.keys(as: vd_lpm4_key.self) where k.generation == genBE && !keep4.contains(Self.bytes(k)) {
            try ip4.delete(key: k)
        }
        for k in try ip6.keys(as: vd_lpm6_key.self) where k.generation == genBE && !keep6.contains(Self.bytes(k)) {
            try ip6.delete(key: k)
        }
        // 2. LPM entries and array runs, all inside g's region or keyed with g.
        if !image.ip4Keys.isEmpty { try ip4.updateBatch(keys: image.ip4Keys, values: image.ip4Values) }
        if !image.ip6Keys.isEmpty { try ip6.updateBatch(keys: image.ip6Keys, values: image.ip6Values) }
        try put(.endpoints, image.endpoints)
        try put(.nodes, image.nodes)
        try put(.classes, image.classes)
        try put(.rows, image.rows)
        try put(.termRules, image.termRules)
        try put(.rules, image.rules)
        // 3. Hit counters of g's rules start from zero (the region may hold an older table's).
        let zeros = [UInt64](repeating: 0, count: cpus)
        for i in image.rules.indices { try hitsMap.updatePerCPU(key: i, values: zeros) }
        // 4. The descriptor last: it is what makes g's data reachable.
        try object.map("vd_gen").update(key: g, value: image.descriptor)
        descriptors[Int(g)] = image.descriptor
    }

    private func put<T: BitwiseCopyable>(_ map: BPFTableMap, _ run: BPFArrayRun<T>) throws(BPFError) {
        guard !run.values.isEmpty else { return }
        try object.map(map.name).updateBatch(keys: Array(run.indices), values: run.values)
    }

    /// vd_cfg twice: staged (the new generation's endpoint filled in), then the flip.
    private func publish(_ writes: (staged: vd_bpf_config, active: vd_bpf_config)) throws(BPFError) {
        let cfg = try object.map("vd_cfg")
        try cfg.update(key: UInt32(0), value: writes.staged)
        config = writes.staged
        try cfg.update(key: UInt32(0), value: writes.active)
        config = writes.active
    }

    // MARK: Hits

    /// Per chain of the active table, per rule: the packets whose verdict that rule decided at a
    /// policing point (vd_hits, summed over CPUs), since the table was written.
    public func hits() throws(BPFError) -> [[UInt64]] {
        guard let d = descriptors[Int(config.generation)] else { return [] }
        let map = hitsMap
        return try Self.hits(table, descriptor: d) { (i) throws(BPFError) in try map.lookupPerCPU(key: i, as: UInt64.self) ?? [] }
    }

    /// Per chain and rule of `table`, the hit counters its generation's descriptor locates,
    /// summed over CPUs; `counters(i)` reads vd_hits[i] per CPU.
    static func hits(_ table: MatchTable, descriptor d: vd_bpf_generation,
                     counters: (UInt32) throws(BPFError) -> [UInt64]) throws(BPFError) -> [[UInt64]] {
        var out: [[UInt64]] = []
        for c in 0..<table.chains.count {
            let base = withUnsafeBytes(of: d.chains) { $0.load(fromByteOffset: c * MemoryLayout<vd_bpf_chain>.stride, as: vd_bpf_chain.self) }.rule_base
            var row: [UInt64] = []
            for r in 0..<table.rules(chain: c).count { row.append(try counters(base + UInt32(r)).reduce(0, &+)) }
            out.append(row)
        }
        return out
    }

    // MARK: Test runs

    /// Runs one frame (from its Ethernet header) through `hook`'s program with
    /// BPF_PROG_TEST_RUN and reads back the vd_last slot it wrote.
    ///
    /// - Parameters:
    ///   - hook: the program (default: the object's first: `vd_xdp` or `vd_tc_ingress`).
    ///   - timestampNanoseconds: TC only, `skb->tstamp` (conntrack's clock with `replayClock`).
    ///   - repeat: runs of the same frame (the duration is the mean; maps see every run).
    public func run(_ frame: [UInt8], hook: BPFHook? = nil, timestampNanoseconds: UInt64? = nil, repeat count: Int = 1) throws(BPFError) -> BPFRun {
        let h = hook ?? (objectKind == .xdp ? .xdp : .tcIngress)
        guard let program = programs[h] else {
            throw BPFError(operation: "test run", errno: 22, message: "\(h.rawValue) is not a program of \(objectKind.objectName)")
        }
        var context: [UInt8]?
        if let ts = timestampNanoseconds {
            guard objectKind == .tc else {
                throw BPFError(operation: "test run", errno: 22, message: "a timestamp needs the TC object (XDP test runs take no skb)")
            }
            context = BPFProgram.skbContext(timestampNanoseconds: ts)
        }
        // Clear every CPU's slot, so the one the run wrote is the only non-zero one (the program
        // always leaves a non-zero result: an allow, a point or a conntrack state).
        try lastMap.updatePerCPU(key: UInt32(0), values: zeroResults)
        let t = try program.testRun(frame, repeat: count, context: context)
        let slots = try lastMap.lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self) ?? []
        let written = slots.filter { r in withUnsafeBytes(of: r) { $0.contains { $0 != 0 } } }
        guard written.count == 1 else {
            throw BPFError(operation: "test run of \(h.rawValue)", errno: 0, message: "\(written.count) vd_last slots written, expected 1")
        }
        let passed: Bool
        if objectKind == .xdp {
            guard t.returnValue == 1 || t.returnValue == 2 else {
                throw BPFError(operation: "test run of \(h.rawValue)", errno: 0, message: "unexpected XDP action \(t.returnValue)")
            }
            passed = t.returnValue == 2
        } else {
            guard t.returnValue == 0 || t.returnValue == 2 else {
                throw BPFError(operation: "test run of \(h.rawValue)", errno: 0, message: "unexpected TC action \(t.returnValue)")
            }
            passed = t.returnValue == 0
        }
        return BPFRun(returnValue: t.returnValue, passed: passed, result: written[0], durationNanoseconds: t.durationNanoseconds)
    }

    /// Forgets every tracked flow and first-fragment verdict (vd_ct).
    public func clearConntrack() throws(BPFError) {
        let ct = try object.map("vd_ct")
        for k in try ct.keys(as: vd_ct_key.self) { try ct.delete(key: k) }
    }

    // MARK: Helpers

    /// Frames BPF_PROG_TEST_RUN takes for an skb or XDP program: at least an Ethernet header,
    /// at most what fits one page with the kernel's head and tail room (about 3.5 KB with
    /// 4 KB pages; larger frames fail with EINVAL).
    public static let minimumFrameLength = 14

    static func image(_ table: MatchTable, generation: UInt32, capacity: BPFMapCapacity) throws(BPFError) -> BPFTableImage {
        do throws(BPFImageError) {
            let needed = BPFMapCapacity.required(for: table)
            guard capacity.holds(needed) else {
                let over = BPFTableMap.allCases.filter { needed[$0] > capacity[$0] }.map { "\($0.name) needs \(needed[$0]), holds \(capacity[$0])" }
                throw BPFImageError("the table does not fit the loaded maps (\(over.joined(separator: "; "))); load it afresh")
            }
            return try BPFTableImage(table, generation: generation, capacity: capacity)
        } catch {
            throw BPFError(operation: "BPFTableImage(generation \(generation))", errno: 7 /* E2BIG */, message: error.message)
        }
    }

    static func configWrites(_ image: BPFTableImage, mode: vd_bpf_mode, endpoint: UInt32?, current: vd_bpf_config?) throws(BPFError)
        -> (staged: vd_bpf_config, active: vd_bpf_config) {
        do throws(BPFImageError) {
            return try image.configWrites(mode: mode, endpoint: endpoint, current: current)
        } catch {
            throw BPFError(operation: "vd_cfg for generation \(image.generation)", errno: 22, message: error.message)
        }
    }

    static func scaled(_ c: BPFMapCapacity, by factor: Double) -> BPFMapCapacity {
        var out = c
        for m in BPFTableMap.allCases {
            let v = (Double(c[m]) * factor).rounded(.up)
            out[m] = v >= Double(UInt32.max) ? UInt32.max : max(c[m], UInt32(v))
        }
        return out
    }

    static func bytes<T: BitwiseCopyable>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
}
