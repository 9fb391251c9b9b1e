// Memory for the fast path's large lookup structures, on transparent huge pages where the kernel
// offers them. A 100K-rule term index is about 10 MB read at random: on 4 KiB pages nearly every
// access also misses the TLB (2,048 entries cover 8 MiB), and the page walk is one more dependent
// miss per level. 2 MiB pages cover the whole index with a few entries. This is what DPDK gets
// from its hugepage heap, and part of why rte_acl leads at 100K rules.

#if canImport(Glibc)
import Glibc
#endif

/// A bump allocator over 2 MiB-aligned anonymous mappings advised MADV_HUGEPAGE (honoured when
/// /sys/kernel/mm/transparent_hugepage/enabled is `madvise` or `always`, else plain pages).
/// Everything is freed together when the arena goes; allocations are never freed one by one.
final class PageArena {
    static let hugePage = 2 << 20
    /// Mappings grow by at least this much.
    static let chunkBytes = 8 << 20

    private var mappings: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    private var cursor = 0
    private var end = 0
    /// Bytes handed out.
    private(set) var usedBytes = 0

    init() {}

    deinit {
        for m in mappings { munmap(m.base, m.bytes) }
    }

    /// Uninitialized memory for `count` values of `T` (at least one), aligned to 64 bytes so that
    /// no structure starts mid cache line.
    func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(1, count) * MemoryLayout<T>.stride
        var start = (cursor + 63) & ~63
        if start + bytes > end {
            map(atLeast: bytes)
            start = cursor
        }
        cursor = start + bytes
        usedBytes += bytes
        return UnsafeMutableRawPointer(bitPattern: start)!.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// A new mapping of at least `bytes`, starting on a huge-page boundary.
    private func map(atLeast bytes: Int) {
        let size = (max(bytes, Self.chunkBytes) + Self.hugePage - 1) & ~(Self.hugePage - 1)
        // One huge page more than needed, to align the start.
        let total = size + Self.hugePage
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("PageArena: mmap of \(total) bytes failed (errno \(errno))")
        }
        mappings.append((raw, total))
        let aligned = (Int(bitPattern: raw) + Self.hugePage - 1) & ~(Self.hugePage - 1)
        #if os(Linux)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: aligned), size, MADV_HUGEPAGE)
        #endif
        cursor = aligned
        end = aligned + size
    }
}
