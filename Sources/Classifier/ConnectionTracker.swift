// Connection tracking as SEMANTICS §5.1/§5.3 models it: a bidirectional flow table that the
// first allowed packet of a flow creates. Open addressing with linear probing over one flat
// buffer, so lookups never allocate; the table grows (rarely) by doubling.
//
// Timeouts are Linux's nf_conntrack defaults, so that a long capture expires flows as a node
// would: TCP 120 s until the reply (SYN_SENT), 5 days established, 120 s after a FIN, 10 s after
// an RST; UDP 30 s, 120 s once both directions were seen; ICMP 30 s; other protocols 600 s.

import Packets

public final class ConnectionTracker {
    struct Entry {
        var key: FlowKey          // canonical, so probes compare without recomputing it
        var originIsCanonical: Bool  // the originating direction is `key` (else its reverse)
        var expires: Int64        // ns since the epoch; 0 = empty slot
        var flowID: Int
        var replied: Bool
        var closing: UInt8        // 1 FIN seen, 2 RST seen
    }

    private var slots: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private var used = 0
    public private(set) var count = 0

    public init(initialCapacity: Int = 1 << 14) {
        capacity = max(16, 1 << (Int.bitWidth - (initialCapacity - 1).leadingZeroBitCount))
        slots = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        slots.initialize(repeating: Entry(key: ConnectionTracker.emptyKey, originIsCanonical: true, expires: 0, flowID: 0, replied: false, closing: 0), count: capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    static let emptyKey = FlowKey(src: .init(v4: 0), dst: .init(v4: 0), protocol: 0, srcPort: 0, dstPort: 0)

    public struct Hit {
        public var flowID: Int
        /// True when the packet travels in the reply direction.
        public var isReply: Bool
    }

    /// The live entry for `key` in either direction, refreshed by this packet.
    public func lookup(_ key: FlowKey, now: Int64, tcpFlags: UInt8 = 0) -> Hit? {
        let c = key.canonical
        return lookup(key, canonical: c, hash: c.hash64, now: now, tcpFlags: tcpFlags)
    }

    /// ``lookup(_:now:tcpFlags:)`` with the key's canonical form and its hash64 already computed
    /// (replay computes them once per packet for the flow numbers and the tracker).
    @inline(__always)
    public func lookup(_ key: FlowKey, canonical c: FlowKey, hash: UInt64, now: Int64, tcpFlags: UInt8 = 0) -> Hit? {
        var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while slots[i].expires != 0 {
            if slots[i].key.sameKey(c) {
                guard slots[i].expires > now else { return nil }
                // A flow whose two directions have the same key (same endpoint both ways) has no reply direction.
                let reply = !key.sameKey(c) ? slots[i].originIsCanonical : (!slots[i].originIsCanonical && c.reversed != c)
                if reply { slots[i].replied = true }
                if key.protocol == 6 {
                    if tcpFlags & 0x04 != 0 { slots[i].closing = 2 } else if tcpFlags & 0x01 != 0, slots[i].closing == 0 { slots[i].closing = 1 }
                }
                slots[i].expires = now + timeout(slots[i])
                return Hit(flowID: slots[i].flowID, isReply: reply)
            }
            i = (i + 1) & (capacity - 1)
        }
        return nil
    }

    /// Records a new flow in the direction of `key` (the packet that policy allowed).
    public func insert(_ key: FlowKey, now: Int64, flowID: Int) {
        let c = key.canonical
        insert(key, canonical: c, hash: c.hash64, now: now, flowID: flowID)
    }

    /// ``insert(_:now:flowID:)`` with the canonical key and its hash64 already computed.
    public func insert(_ key: FlowKey, canonical c: FlowKey, hash: UInt64, now: Int64, flowID: Int) {
        if (used + 1) * 2 > capacity { grow(now: now) }
        var i = Int(truncatingIfNeeded: hash) & (capacity - 1)
        var reuse = -1
        while slots[i].expires != 0 {
            if slots[i].key.sameKey(c) { reuse = i; break }
            if reuse < 0 && slots[i].expires <= now { reuse = i }
            i = (i + 1) & (capacity - 1)
        }
        let slot = reuse >= 0 ? reuse : i
        if reuse < 0 { used += 1 }
        var e = Entry(key: c, originIsCanonical: key.sameKey(c), expires: 1, flowID: flowID, replied: false, closing: 0)
        e.expires = now + timeout(e)
        slots[slot] = e
        count += 1
    }

    private func timeout(_ e: Entry) -> Int64 {
        let s: Int64 = 1_000_000_000
        switch e.key.protocol {
        case 6:
            if e.closing == 2 { return 10 * s }
            if e.closing == 1 || !e.replied { return 120 * s }
            return 432_000 * s
        case 17, 136: return (e.replied ? 120 : 30) * s
        case 1, 58: return 30 * s
        default: return 600 * s
        }
    }

    private func grow(now: Int64) {
        let old = slots, oldCapacity = capacity
        capacity *= 2
        slots = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        slots.initialize(repeating: Entry(key: ConnectionTracker.emptyKey, originIsCanonical: true, expires: 0, flowID: 0, replied: false, closing: 0), count: capacity)
        used = 0
        for j in 0..<oldCapacity where old[j].expires > now {
            var i = Int(truncatingIfNeeded: old[j].key.hash64) & (capacity - 1)
            while slots[i].expires != 0 { i = (i + 1) & (capacity - 1) }
            slots[i] = old[j]
            used += 1
        }
        old.deinitialize(count: oldCapacity)
        old.deallocate()
    }
}
