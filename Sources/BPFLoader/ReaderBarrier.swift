// Waiting until no BPF program can still be running with what it read before a map update.
//
// XDP and TC programs run inside RCU read-side critical sections, and the kernel answers every
// update of an ARRAY_OF_MAPS or HASH_OF_MAPS element from user space only after
// synchronize_rcu() (kernel/bpf/syscall.c, maybe_wait_bpf_programs), so that user space knows
// no program still uses the element it replaced. Such an update is therefore a barrier for
// every non-sleepable program on the machine, whichever maps it references: when it returns,
// each program run that started before it has finished. The kernel's own map-in-map selftest
// relies on the same wait. docs/DECISIONS.md 35.

/// A tiny ARRAY_OF_MAPS whose only job is to make the kernel wait for an RCU grace period.
///
/// ```swift
/// try plane.flip()            // new packets read the new generation
/// try barrier.wait()          // packets that read the old one have finished
/// ```
public final class ReaderBarrier {
    private let inner: Int32
    private let outer: Int32

    public init() throws(BPFError) {
        inner = try Libbpf.createMap(type: Libbpf.arrayMapType, name: "vd_rcu_inner", keySize: 4, valueSize: 4, maxEntries: 1)
        do throws(BPFError) {
            outer = try Libbpf.createMap(type: Libbpf.arrayOfMapsType, name: "vd_rcu", keySize: 4, valueSize: 4, maxEntries: 1, innerMapFD: inner)
        } catch {
            Libbpf.closeFD(inner)
            throw error
        }
    }

    deinit {
        Libbpf.closeFD(outer)
        Libbpf.closeFD(inner)
    }

    /// Returns once every BPF program run that started before the call has finished (one
    /// synchronize_rcu in the kernel: typically a few milliseconds).
    public func wait() throws(BPFError) {
        var key: UInt32 = 0
        var value = UInt32(bitPattern: inner)
        try Libbpf.update(outer, &key, &value, flags: 0, map: "vd_rcu")
    }
}
