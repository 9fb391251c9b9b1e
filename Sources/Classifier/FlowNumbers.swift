// Flow numbers by key alone: each direction-independent 5-tuple gets the next number the first
// time it is seen (sharded replay's merge numbers the flows it keeps for itself with it; a
// StatefulClassifier keeps its numbers in its FlowTable, beside the conntrack entries). Open addressing with linear probing over one flat buffer, hashed with FlowKey.hash64
// like FlowTable, so a lookup costs one multiply-xorshift hash and (usually) one cache
// line instead of a Dictionary's SipHash; the buffer grows by doubling, so nothing is allocated
// per packet. Entries are never removed: a flow keeps its number for the whole capture.

import Packets

public final class FlowNumbers {
    struct Slot {
        var key: FlowKey      // canonical
        var id: Int           // -1 = empty
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    /// Flows numbered so far (the next number).
    public private(set) var count = 0

    public init(initialCapacity: Int = 1 << 12) {
        capacity = max(16, 1 << (Int.bitWidth - (initialCapacity - 1).leadingZeroBitCount))
        slots = FlowNumbers.emptySlots(capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    private static func emptySlots(_ n: Int) -> UnsafeMutablePointer<Slot> {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: n)
        p.initialize(repeating: Slot(key: FlowTable.emptyKey, id: -1), count: n)
        return p
    }

    /// The number of `key`'s flow (either direction), numbering a new flow `count`.
    public func number(_ key: FlowKey) -> Int {
        let c = key.canonical
        return number(canonical: c, hash: c.hash64)
    }

    /// ``number(_:)`` for a key already in canonical form, with its hash64.
    @inline(__always)
    public func number(canonical c: FlowKey, hash: UInt64) -> Int {
        var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while slots[i].id >= 0 {
            if slots[i].key.sameKey(c) { return slots[i].id }
            i = (i + 1) & (capacity - 1)
        }
        // Kept at most half full, so probes stay short.
        if (count + 1) * 2 > capacity {
            grow()
            return number(canonical: c, hash: hash)
        }
        slots[i] = Slot(key: c, id: count)
        count += 1
        return count - 1
    }

    private func grow() {
        let old = slots, oldCapacity = capacity
        capacity *= 2
        slots = FlowNumbers.emptySlots(capacity)
        for j in 0..<oldCapacity where old[j].id >= 0 {
            var i = Int(truncatingIfNeeded: old[j].key.hash64) & (capacity - 1)
            while slots[i].id >= 0 { i = (i + 1) & (capacity - 1) }
            slots[i] = old[j]
        }
        old.deinitialize(count: oldCapacity)
        old.deallocate()
    }
}
