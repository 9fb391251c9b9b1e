// One map of a BPFObject: sizing before load, and element access by fd after it.

/// How an update treats an existing key (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`).
public enum BPFUpdateFlags: UInt64, Sendable {
    /// Create or replace.
    case any = 0
    /// Create only; fail with EEXIST when the key is there.
    case noExist = 1
    /// Replace only; fail with ENOENT when the key is absent.
    case exist = 2
}

/// A map of a ``BPFObject``. Keeps its object alive.
///
/// Keys and values are plain values whose size must equal the map's key and value size
/// (imported C structs such as `vd_lpm4_key` qualify); a mismatch throws instead of reading or
/// writing past a buffer.
public struct BPFMap {
    let object: BPFObject
    let handle: OpaquePointer

    /// The map's name in the object (`vd_rows`).
    public var name: String { Libbpf.mapName(handle) }
    /// The kernel's file descriptor, valid once the object is loaded (-1 before).
    public var fd: Int32 { Libbpf.mapFD(handle) }
    public var keySize: Int { Libbpf.mapKeySize(handle) }
    public var valueSize: Int { Libbpf.mapValueSize(handle) }
    public var maxEntries: UInt32 { Libbpf.mapMaxEntries(handle) }
    /// `array`, `lpm_trie`, `percpu_array`, ... (libbpf's names).
    public var typeName: String { Libbpf.mapTypeName(Libbpf.mapType(handle)) }
    /// True for per-CPU maps, whose values are read with ``lookupPerCPU(key:as:)``.
    public var isPerCPU: Bool { Libbpf.isPerCPU(mapType: Libbpf.mapType(handle)) }

    /// Sets the number of entries; only before the object is loaded.
    ///
    /// The corresponding libbpf function is `bpf_map__set_max_entries`.
    public func setMaxEntries(_ n: UInt32) throws(BPFError) {
        guard !object.isLoaded else {
            throw BPFError(operation: "bpf_map__set_max_entries(\(name))", errno: 16, message: "the object is already loaded")
        }
        try Libbpf.setMaxEntries(handle, n)
    }

    private func requireLoaded(_ op: String) throws(BPFError) {
        guard object.isLoaded else { throw BPFError(operation: "\(op)(\(name))", errno: 9, message: "the object is not loaded") }
    }

    private func check(key: Int, value: Int?, _ op: String) throws(BPFError) {
        if key != keySize {
            throw BPFError(operation: "\(op)(\(name))", errno: 22, message: "key is \(key) bytes, the map's \(keySize)")
        }
        if let value, value != valueSize {
            throw BPFError(operation: "\(op)(\(name))", errno: 22, message: "value is \(value) bytes, the map's \(valueSize)")
        }
    }

    // MARK: Single elements

    /// Writes `value` under `key`.
    ///
    /// The corresponding libbpf function is `bpf_map_update_elem`.
    public func update<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, value: V, flags: BPFUpdateFlags = .any) throws(BPFError) {
        try requireLoaded("bpf_map_update_elem")
        guard !isPerCPU else {
            try updatePerCPU(key: key, values: [V](repeating: value, count: try Libbpf.numPossibleCPUs()), flags: flags)
            return
        }
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_update_elem")
        var k = key, v = value
        let fd = self.fd, name = self.name
        try withUnsafeBytes(of: &k) { (kp) throws(BPFError) in
            try withUnsafeBytes(of: &v) { (vp) throws(BPFError) in
                try Libbpf.update(fd, kp.baseAddress!, vp.baseAddress!, flags: flags.rawValue, map: name)
            }
        }
    }

    /// Writes raw bytes: `key` and `value` must have the map's key and value sizes (for a
    /// per-CPU map, the value holds one 8-byte-aligned slot per possible CPU).
    public func update(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: BPFUpdateFlags = .any) throws(BPFError) {
        try requireLoaded("bpf_map_update_elem")
        let expected = isPerCPU ? stride * (try Libbpf.numPossibleCPUs()) : valueSize
        try check(key: key.count, value: nil, "bpf_map_update_elem")
        guard value.count == expected else {
            throw BPFError(operation: "bpf_map_update_elem(\(name))", errno: 22, message: "value is \(value.count) bytes, the map needs \(expected)")
        }
        try Libbpf.update(fd, key.baseAddress!, value.baseAddress!, flags: flags.rawValue, map: name)
    }

    /// Writes one value per possible CPU under `key` (per-CPU maps).
    public func updatePerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, values: [V], flags: BPFUpdateFlags = .any) throws(BPFError) {
        try requireLoaded("bpf_map_update_elem")
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_update_elem")
        let cpus = try Libbpf.numPossibleCPUs()
        guard values.count == cpus else {
            throw BPFError(operation: "bpf_map_update_elem(\(name))", errno: 22, message: "\(values.count) values for \(cpus) possible CPUs")
        }
        let stride = self.stride
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        for (i, v) in values.enumerated() {
            withUnsafeBytes(of: v) { buffer.baseAddress!.advanced(by: i * stride).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        var k = key
        let fd = self.fd, name = self.name
        try withUnsafeBytes(of: &k) { (kp) throws(BPFError) in
            try Libbpf.update(fd, kp.baseAddress!, buffer.baseAddress!, flags: flags.rawValue, map: name)
        }
    }

    /// The value under `key`, or nil when absent.
    ///
    /// The corresponding libbpf function is `bpf_map_lookup_elem`.
    public func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, as _: V.Type = V.self) throws(BPFError) -> V? {
        try requireLoaded("bpf_map_lookup_elem")
        guard !isPerCPU else {
            throw BPFError(operation: "bpf_map_lookup_elem(\(name))", errno: 22, message: "a per-CPU map: use lookupPerCPU")
        }
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_lookup_elem")
        var k = key
        let fd = self.fd, name = self.name
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: MemoryLayout<V>.size, alignment: MemoryLayout<V>.alignment)
        defer { out.deallocate() }
        let found = try withUnsafeBytes(of: &k) { (kp) throws(BPFError) -> Bool in
            try Libbpf.lookup(fd, kp.baseAddress!, out.baseAddress!, map: name)
        }
        return found ? out.load(as: V.self) : nil
    }

    /// The values of every possible CPU under `key` (per-CPU maps), or nil when absent.
    public func lookupPerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(key: K, as _: V.Type = V.self) throws(BPFError) -> [V]? {
        try requireLoaded("bpf_map_lookup_elem")
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_lookup_elem")
        guard isPerCPU else {
            throw BPFError(operation: "bpf_map_lookup_elem(\(name))", errno: 22, message: "not a per-CPU map: use lookup")
        }
        let cpus = try Libbpf.numPossibleCPUs()
        let stride = self.stride
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { out.deallocate() }
        var k = key
        let fd = self.fd, name = self.name
        let found = try withUnsafeBytes(of: &k) { (kp) throws(BPFError) -> Bool in
            try Libbpf.lookup(fd, kp.baseAddress!, out.baseAddress!, map: name)
        }
        guard found else { return nil }
        return (0..<cpus).map { out.loadUnaligned(fromByteOffset: $0 * stride, as: V.self) }
    }

    /// Removes `key`; false when it was absent.
    @discardableResult
    public func delete<K: BitwiseCopyable>(key: K) throws(BPFError) -> Bool {
        try requireLoaded("bpf_map_delete_elem")
        try check(key: MemoryLayout<K>.size, value: nil, "bpf_map_delete_elem")
        var k = key
        let fd = self.fd, name = self.name
        return try withUnsafeBytes(of: &k) { (kp) throws(BPFError) -> Bool in try Libbpf.delete(fd, kp.baseAddress!, map: name) }
    }

    /// Every key of the map, in the kernel's iteration order.
    public func keys<K: BitwiseCopyable>(as _: K.Type = K.self) throws(BPFError) -> [K] {
        try requireLoaded("bpf_map_get_next_key")
        try check(key: MemoryLayout<K>.size, value: nil, "bpf_map_get_next_key")
        var out: [K] = []
        let fd = self.fd, name = self.name
        let cur = UnsafeMutableRawBufferPointer.allocate(byteCount: MemoryLayout<K>.size, alignment: MemoryLayout<K>.alignment)
        let next = UnsafeMutableRawBufferPointer.allocate(byteCount: MemoryLayout<K>.size, alignment: MemoryLayout<K>.alignment)
        defer { cur.deallocate(); next.deallocate() }
        var first = true
        while try Libbpf.nextKey(fd, first ? nil : UnsafeRawPointer(cur.baseAddress!), next.baseAddress!, map: name) {
            out.append(next.load(as: K.self))
            cur.copyMemory(from: UnsafeRawBufferPointer(next))
            first = false
        }
        return out
    }

    // MARK: Batches

    /// Writes `values[i]` under `keys[i]` for every i, in batches of one system call each
    /// (`bpf_map_update_batch`); map types without a batch operation fall back to one update
    /// per element. Returns the number of system calls made.
    @discardableResult
    public func updateBatch<K: BitwiseCopyable, V: BitwiseCopyable>(keys: [K], values: [V], flags: BPFUpdateFlags = .any) throws(BPFError) -> Int {
        try requireLoaded("bpf_map_update_batch")
        guard keys.count == values.count else {
            throw BPFError(operation: "bpf_map_update_batch(\(name))", errno: 22, message: "\(keys.count) keys, \(values.count) values")
        }
        guard !isPerCPU else {
            throw BPFError(operation: "bpf_map_update_batch(\(name))", errno: 22, message: "per-CPU maps take updatePerCPU")
        }
        try check(key: MemoryLayout<K>.size, value: MemoryLayout<V>.size, "bpf_map_update_batch")
        let fd = self.fd, name = self.name
        // Keys and values must be packed at their sizes; Swift arrays are packed at the
        // stride, so copy when the two differ.
        let kb = Self.packed(keys), vb = Self.packed(values)
        defer { kb.deallocate(); vb.deallocate() }
        let ks = MemoryLayout<K>.size, vs = MemoryLayout<V>.size
        var done = 0, calls = 0
        let chunk = 1 << 16
        while done < keys.count {
            var n = UInt32(min(chunk, keys.count - done))
            let r = Libbpf.updateBatch(fd, kb.baseAddress!.advanced(by: done * ks), vb.baseAddress!.advanced(by: done * vs), count: &n, flags: flags.rawValue)
            calls += 1
            if r == 0 {
                done += Int(n)
                continue
            }
            // EINVAL/ENOTSUPP(524)/EOPNOTSUPP: no batch operation for this map type.
            if done == 0 && (r == -22 || r == -524 || r == -95) {
                for i in 0..<keys.count {
                    try Libbpf.update(fd, kb.baseAddress!.advanced(by: i * ks), vb.baseAddress!.advanced(by: i * vs), flags: flags.rawValue, map: name)
                }
                return calls + keys.count
            }
            throw Libbpf.error("bpf_map_update_batch(\(name)) after \(done + Int(n)) of \(keys.count)", r)
        }
        return calls
    }

    private static func packed<T: BitwiseCopyable>(_ items: [T]) -> UnsafeMutableRawBufferPointer {
        let size = MemoryLayout<T>.size
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, size * items.count), alignment: 8)
        items.withUnsafeBytes { src in
            if size == MemoryLayout<T>.stride {
                if src.count > 0 { b.copyMemory(from: src) }
            } else {
                for i in 0..<items.count {
                    b.baseAddress!.advanced(by: i * size).copyMemory(from: src.baseAddress!.advanced(by: i * MemoryLayout<T>.stride), byteCount: size)
                }
            }
        }
        return b
    }

    /// Bytes per CPU slot of a per-CPU value.
    private var stride: Int { (valueSize + 7) & ~7 }

    // MARK: Pinning

    /// Pins the map at `path` (on a bpffs mount), so it outlives this process.
    public func pin(at path: String) throws(BPFError) {
        try requireLoaded("bpf_obj_pin")
        try Libbpf.pin(fd, path: path)
    }

    /// Removes the pin at `path` (the map lives on while a program or fd holds it).
    public func unpin(at path: String) throws(BPFError) {
        try FileSystem.remove(path)
    }
}
