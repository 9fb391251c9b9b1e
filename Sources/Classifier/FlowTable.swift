// Flows for replay, one slot per direction-independent 5-tuple: the flow's number and its
// connection-tracking entry side by side, so that a packet costs one hash probe instead of one
// in a flow-number table and another in a conntrack table keyed the same way (DECISIONS 62).
//
// Connection tracking is SEMANTICS §5.1/§5.3's model: a bidirectional entry that the first
// allowed packet of a flow creates. Timeouts are Linux's nf_conntrack defaults, so that a long
// capture expires flows as a node would: TCP 120 s until the reply (SYN_SENT), 5 days
// established, 120 s after a FIN, 10 s after an RST; UDP 30 s, 120 s once both directions were
// seen; ICMP 30 s; other protocols 600 s.
//
// Open addressing with linear probing over one flat buffer, at most half full, grown by doubling,
// hashed with FlowKey.hash64; slots are never removed (a flow keeps its number for the whole
// capture, and an expired entry is simply one whose `expires` has passed).

import Packets

public final class FlowTable {
    struct Slot {
        var key: FlowKey          // canonical
        /// The flow's number; `unnumbered` for a flow its caller numbers; `empty` for a free slot.
        var id: Int32
        var originIsCanonical: Bool  // the originating direction is `key` (else its reverse)
        var replied: Bool
        var closing: UInt8        // 1 FIN seen, 2 RST seen
        var expires: Int64        // ns since the epoch; 0 = no conntrack entry
    }

    static let empty: Int32 = -1
    static let unnumbered: Int32 = -2

    /// The table's mutable state, behind a pointer the class holds in a `let`: stored `var`s of a
    /// class are checked for exclusive access at run time (swift_beginAccess) at every packet.
    struct State {
        var slots: UnsafeMutablePointer<Slot>
        var mask: Int
        var used: Int
        var count: Int
    }

    private let state: UnsafeMutablePointer<State>

    private var slots: UnsafeMutablePointer<Slot> {
        @inline(__always) get { state.pointee.slots }
    }

    private var mask: Int {
        @inline(__always) get { state.pointee.mask }
    }

    /// Flows numbered so far (the next number).
    public var count: Int { state.pointee.count }

    public init(initialCapacity: Int = 1 << 10) {
        let capacity = max(16, 1 << (Int.bitWidth - (initialCapacity - 1).leadingZeroBitCount))
        state = .allocate(capacity: 1)
        state.initialize(to: State(slots: FlowTable.emptySlots(capacity), mask: capacity - 1, used: 0, count: 0))
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    private static func emptySlots(_ n: Int) -> UnsafeMutablePointer<Slot> {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: n)
        p.initialize(repeating: Slot(key: FlowTable.emptyKey, id: empty, originIsCanonical: true, replied: false, closing: 0, expires: 0), count: n)
        return p
    }

    static let emptyKey = FlowKey(src: .init(v4: 0), dst: .init(v4: 0), protocol: 0, srcPort: 0, dstPort: 0)

    /// The slot of `canonical`'s flow, created when new (numbered `count` when `numbered`, else
    /// left to the caller). A slot index is valid until the next call that creates a slot.
    @inline(__always)
    public func slot(canonical c: FlowKey, hash: UInt64, numbered: Bool) -> Int {
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].id != Self.empty {
            if slots[i].key.sameKey(c) { return i }
            i = (i &+ 1) & mask
        }
        if (state.pointee.used + 1) * 2 > mask + 1 {
            // Not a recursive call, so that the probe above can be inlined into the caller.
            grow()
            i = Int(truncatingIfNeeded: hash) & mask
            while slots[i].id != Self.empty { i = (i &+ 1) & mask }
        }
        state.pointee.used += 1
        var id = Self.unnumbered
        if numbered {
            id = Int32(truncatingIfNeeded: state.pointee.count)
            state.pointee.count += 1
        }
        slots[i] = Slot(key: c, id: id, originIsCanonical: true, replied: false, closing: 0, expires: 0)
        return i
    }

    /// The slot of `canonical`'s flow if it has one (nothing is created).
    @inline(__always)
    public func find(canonical c: FlowKey, hash: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].id != Self.empty {
            if slots[i].key.sameKey(c) { return i }
            i = (i &+ 1) & mask
        }
        return nil
    }

    /// The flow number of a slot, or nil when its caller numbers it.
    @inline(__always)
    public func flowID(_ slot: Int) -> Int? {
        let id = slots[slot].id
        return id >= 0 ? Int(id) : nil
    }

    /// Whether the slot's flow has a live conntrack entry; if so the packet (`key`, in its own
    /// direction, with `tcpFlags`) refreshes it, as Linux conntrack does.
    @inline(__always)
    public func track(_ slot: Int, key: FlowKey, now: Int64, tcpFlags: UInt8 = 0) -> Bool {
        let s = slots + slot
        // 0 is no entry whatever the clock (a capture's timestamps may be before 1970).
        guard s.pointee.expires != 0 && s.pointee.expires > now else { return false }
        let c = s.pointee.key
        // A flow whose two directions have the same key (same endpoint both ways) has no reply direction.
        let reply = !key.sameKey(c) ? s.pointee.originIsCanonical : (!s.pointee.originIsCanonical && c.reversed != c)
        if reply { s.pointee.replied = true }
        if key.protocol == 6 {
            if tcpFlags & 0x04 != 0 { s.pointee.closing = 2 } else if tcpFlags & 0x01 != 0, s.pointee.closing == 0 { s.pointee.closing = 1 }
        }
        s.pointee.expires = now + Self.timeout(protocol: c.protocol, closing: s.pointee.closing, replied: s.pointee.replied)
        return true
    }

    /// Creates (or renews) the slot's conntrack entry in the direction of `key`, the packet that
    /// policy allowed.
    @inline(__always)
    public func open(_ slot: Int, key: FlowKey, now: Int64) {
        let s = slots + slot
        s.pointee.originIsCanonical = key.sameKey(s.pointee.key)
        s.pointee.replied = false
        s.pointee.closing = 0
        s.pointee.expires = now + Self.timeout(protocol: key.protocol, closing: 0, replied: false)
    }

    @inline(__always)
    static func timeout(protocol p: UInt8, closing: UInt8, replied: Bool) -> Int64 {
        let s: Int64 = 1_000_000_000
        switch p {
        case 6:
            if closing == 2 { return 10 * s }
            if closing == 1 || !replied { return 120 * s }
            return 432_000 * s
        case 17, 136: return (replied ? 120 : 30) * s
        case 1, 58: return 30 * s
        default: return 600 * s
        }
    }

    @inline(never)
    private func grow() {
        let old = slots, oldCapacity = mask + 1
        let capacity = oldCapacity * 2
        let new = FlowTable.emptySlots(capacity)
        let mask = capacity - 1
        for j in 0..<oldCapacity where old[j].id != Self.empty {
            var i = Int(truncatingIfNeeded: old[j].key.hash64) & mask
            while new[i].id != Self.empty { i = (i &+ 1) & mask }
            new[i] = old[j]
        }
        state.pointee.slots = new
        state.pointee.mask = mask
        old.deinitialize(count: oldCapacity)
        old.deallocate()
    }
}
