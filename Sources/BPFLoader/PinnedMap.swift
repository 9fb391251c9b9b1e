// A map pinned on bpffs, opened by path without its object: what `verdict status` reads (the
// table's generation and hit counters) and what a later `verdict load` hands to libbpf to reuse.

/// A pinned map, open by its bpffs path. Closes its fd on deinit.
///
/// ```swift
/// let cfg = try PinnedMap(path: "/sys/fs/bpf/verdict/eth0/vd_cfg")
/// let c = try cfg.lookup(key: UInt32(0), as: vd_bpf_config.self)
/// ```
public final class PinnedMap {
    public let path: String
    public let fd: Int32
    /// The kernel's map id (the same for every fd and pin of the map).
    public let id: UInt32
    public let typeName: String
    public let keySize: Int
    public let valueSize: Int
    public let maxEntries: UInt32
    public let isPerCPU: Bool

    /// Opens the map pinned at `path` (ENOENT when nothing is pinned there).
    public init(path: String) throws(BPFError) {
        let fd = try Libbpf.pinned(path)
        let info: (type: UInt32, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, id: UInt32)
        do throws(BPFError) { info = try Libbpf.mapInfo(fd, path: path) } catch {
            Libbpf.closeFD(fd)
            throw error
        }
        self.path = path
        self.fd = fd
        id = info.id
        typeName = Libbpf.mapTypeName(info.type)
        keySize = Int(info.keySize)
        valueSize = Int(info.valueSize)
        maxEntries = info.maxEntries
        isPerCPU = Libbpf.isPerCPU(mapType: info.type)
    }

    deinit { Libbpf.closeFD(fd) }

    private func check(key: Int, value: Int, _ op: String) throws(BPFError) {
        guard key == keySize, value == valueSize else {
            throw BPFError(operation: "\(op)(\(path))", errno: 22,
                           message: "key/value are \(key)/\(value) bytes, the pinned map's \(keySize)/\(valueSize)")
        }
    }

    /// The value under `key`, or nil when absent (not for per-CPU maps).
    public func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, as _: V.Type = V.self) throws(BPFError) -> V? {
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_lookup_elem")
        guard !isPerCPU else { throw BPFError(operation: "bpf_map_lookup_elem(\(path))", errno: 22, message: "a per-CPU map: use lookupPerCPU") }
        var k = key
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: MemoryLayout<V>.size, alignment: MemoryLayout<V>.alignment)
        defer { out.deallocate() }
        let fd = self.fd, path = self.path
        let found = try withUnsafeBytes(of: &k) { (kp) throws(BPFError) -> Bool in try Libbpf.lookup(fd, kp.baseAddress!, out.baseAddress!, map: path) }
        return found ? out.load(as: V.self) : nil
    }

    /// The values of every possible CPU under `key` (per-CPU maps), or nil when absent.
    public func lookupPerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, as _: V.Type = V.self) throws(BPFError) -> [V]? {
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_lookup_elem")
        guard isPerCPU else { throw BPFError(operation: "bpf_map_lookup_elem(\(path))", errno: 22, message: "not a per-CPU map: use lookup") }
        let cpus = try Libbpf.numPossibleCPUs()
        let stride = (valueSize + 7) & ~7
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { out.deallocate() }
        var k = key
        let fd = self.fd, path = self.path
        let found = try withUnsafeBytes(of: &k) { (kp) throws(BPFError) -> Bool in try Libbpf.lookup(fd, kp.baseAddress!, out.baseAddress!, map: path) }
        guard found else { return nil }
        return (0..<cpus).map { out.loadUnaligned(fromByteOffset: $0 * stride, as: V.self) }
    }
}
