// Allocations per packet, exactly: the malloc interposer counts every malloc/calloc/realloc in a
// region run over the first half of the headers and over all of them (after a warm-up run, so
// one-time lazy set-up is not counted). Per-packet allocations are the difference divided by
// the extra headers; the gate requires 0, i.e. the same count for both runs.

import MallocInterposerSwift

struct AllocationResult: Codable, Equatable {
    /// Allocations of a run over all measured headers (the region's fixed cost; 0 today).
    var fixed: Int
    /// (all − half) / (headers − half headers).
    var perPacket: Double
}

enum Allocations {
    static func measure(_ g: GateWorkload, single: Bool) -> AllocationResult {
        let n = g.keys.count, half = n / 2
        var out = [UInt32](repeating: 0, count: n)
        return out.withUnsafeMutableBufferPointer { o in
            g.runChecked(count: n, o, single: single)  // warm-up, and the answers checked
            let a = count { g.runRegion(count: half, o, single: single) }
            let b = count { g.runRegion(count: n, o, single: single) }
            return AllocationResult(fixed: b, perPacket: Double(b - a) / Double(n - half))
        }
    }

    static func count(_ body: () -> Void) -> Int {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.hook()
        body()
        MallocInterposerSwift.unhook()
        let s = MallocInterposerSwift.getStatistics()
        return s.mallocCount
    }
}
