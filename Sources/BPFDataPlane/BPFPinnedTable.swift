// What a pinned table says without loading anything: the active generation and mode (vd_cfg)
// and the per-rule hit counters of the active generation (vd_gen, vd_hits), read through the
// pins a BPFTablePlane left (`verdict status`). Needs CAP_BPF to open the pins, not to load.

import BPFLoader
import CVerdictABI
import MatchTable

/// A snapshot of the maps pinned under one directory.
public struct BPFPinnedTable {
    /// vd_cfg[0]: the generation packets use, the mode, the endpoint per generation.
    public var config: vd_bpf_config
    /// Per chain and rule of the table given to ``read(directory:table:)``, the packets whose
    /// verdict that rule decided since its generation was written (summed over CPUs).
    public var hits: [[UInt64]]
    /// Map name → (kernel map id, max_entries), for the status report.
    public var maps: [(name: String, id: UInt32, maxEntries: UInt32)]

    /// Reads vd_cfg, vd_gen and vd_hits pinned under `directory`; `table` is the active table
    /// (its chains and rule counts locate the counters).
    public static func read(directory: String, table: MatchTable) throws(BPFError) -> BPFPinnedTable {
        let cfgMap = try PinnedMap(path: directory + "/vd_cfg")
        guard let cfg = try cfgMap.lookup(key: UInt32(0), as: vd_bpf_config.self), cfg.generation < VD_BPF_GENERATIONS else {
            throw BPFError(operation: "read \(directory)/vd_cfg", errno: 22, message: "vd_cfg holds no valid generation")
        }
        let gen = try PinnedMap(path: directory + "/vd_gen")
        guard let d = try gen.lookup(key: cfg.generation, as: vd_bpf_generation.self) else {
            throw BPFError(operation: "read \(directory)/vd_gen", errno: 2, message: "no descriptor for generation \(cfg.generation)")
        }
        let hitsMap = try PinnedMap(path: directory + "/vd_hits")
        let hits = try BPFTablePlane.hits(table, descriptor: d) { (i) throws(BPFError) in try hitsMap.lookupPerCPU(key: i, as: UInt64.self) ?? [] }
        var maps: [(String, UInt32, UInt32)] = []
        for name in BPFTablePlane.pinnedMapNames {
            let m = try PinnedMap(path: directory + "/" + name)
            maps.append((name, m.id, m.maxEntries))
        }
        return BPFPinnedTable(config: cfg, hits: hits, maps: maps)
    }
}
