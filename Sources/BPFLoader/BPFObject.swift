// One BPF ELF object through its life: opened from bytes it owns (or a file), sized and
// configured, loaded through the verifier, then the source of its maps and programs.

/// A BPF object: its maps and programs, opened with libbpf and loaded into the kernel.
///
/// ```swift
/// let object = try BPFObject(bytes: BPFEmbedded.policyXDP, name: "policy_xdp")
/// try object.map("vd_rows").setMaxEntries(1 << 20)   // before load
/// try object.load()
/// let result = try object.program("vd_xdp").testRun(frame)
/// ```
///
/// libbpf's `bpf_object__open_mem` keeps reading the buffer until load, so the object copies
/// the bytes into memory it owns and frees them after `bpf_object__close` (in `deinit`).
/// Closing the object releases its programs and maps, except what is pinned or attached by a
/// link the kernel keeps (XDP and TC attachments stay until detached).
public final class BPFObject {
    /// The object name (from `init(bytes:name:)`, or the file name).
    public let name: String
    let handle: OpaquePointer
    private let buffer: UnsafeMutableRawBufferPointer?
    private var logBuffers: [(program: String, buffer: UnsafeMutableBufferPointer<CChar>)] = []

    /// True once ``load(verifierStatistics:)`` succeeded.
    public private(set) var isLoaded = false
    /// What libbpf printed while loading (warnings and notes; DEBUG messages are dropped).
    public private(set) var loadLog = ""

    /// Opens an object from its ELF bytes (copied: the caller's array may go away).
    public convenience init(bytes: [UInt8], name: String) throws(BPFError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try self.init(owning: UnsafeMutableRawBufferPointer(rebasing: copy[0..<bytes.count]), allocation: copy, name: name)
    }

    /// Opens an object from ELF bytes in memory (copied).
    public convenience init(bytes: UnsafeRawBufferPointer, name: String) throws(BPFError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        if bytes.count > 0 { copy.copyMemory(from: bytes) }
        try self.init(owning: UnsafeMutableRawBufferPointer(rebasing: copy[0..<bytes.count]), allocation: copy, name: name)
    }

    /// Takes ownership of `allocation` (freed on failure too).
    private init(owning bytes: UnsafeMutableRawBufferPointer, allocation: UnsafeMutableRawBufferPointer, name: String) throws(BPFError) {
        guard bytes.count > 0 else {
            allocation.deallocate()
            throw BPFError(operation: "bpf_object__open_mem(\(name))", errno: 22, message: "empty object")
        }
        do throws(BPFError) {
            handle = try Libbpf.captured { () throws(BPFError) -> OpaquePointer in
                try Libbpf.openMem(UnsafeRawBufferPointer(bytes), name: name)
            }
        } catch {
            allocation.deallocate()
            throw error
        }
        buffer = allocation
        self.name = name
    }

    /// Opens an object file.
    public init(path: String) throws(BPFError) {
        handle = try Libbpf.captured { () throws(BPFError) -> OpaquePointer in try Libbpf.openFile(path) }
        buffer = nil
        name = Libbpf.objectName(handle)
    }

    deinit {
        Libbpf.close(handle)
        buffer?.deallocate()
        for b in logBuffers { b.buffer.deallocate() }
    }

    // MARK: Maps and programs

    /// Every map of the object, including libbpf's data sections (`.rodata`, `.bss`).
    public var maps: [BPFMap] { Libbpf.maps(handle).map { BPFMap(object: self, handle: $0) } }

    /// The map called `name`.
    public func map(_ name: String) throws(BPFError) -> BPFMap {
        guard let m = Libbpf.maps(handle).first(where: { Libbpf.mapName($0) == name }) else {
            throw BPFError(operation: "map \(name)", errno: 2, message: "object \(self.name) has no map named \(name)")
        }
        return BPFMap(object: self, handle: m)
    }

    /// Every program of the object.
    public var programs: [BPFProgram] { Libbpf.programs(handle).map { BPFProgram(object: self, handle: $0) } }

    /// The program called `name` (its C function name).
    public func program(_ name: String) throws(BPFError) -> BPFProgram {
        guard let p = Libbpf.findProgram(handle, name) else {
            throw BPFError(operation: "program \(name)", errno: 2, message: "object \(self.name) has no program named \(name)")
        }
        return BPFProgram(object: self, handle: p)
    }

    func verifierLog(of program: String) -> String? {
        guard let b = logBuffers.first(where: { $0.program == program }) else { return nil }
        return String(cString: b.buffer.baseAddress!)
    }

    // MARK: Before load

    /// Sets a `const volatile` global of the program (in `.rodata`) before load.
    ///
    /// - Throws: ``BPFError`` when the object is loaded, has no such variable, or its size
    ///   differs from `T`'s.
    public func setReadOnlyGlobal<T: BitwiseCopyable>(_ variable: String, to value: T) throws(BPFError) {
        let op = "set .rodata \(variable) of \(name)"
        guard !isLoaded else { throw BPFError(operation: op, errno: 16, message: "the object is already loaded") }
        guard let (offset, size) = Libbpf.variable(handle, section: ".rodata", name: variable) else {
            throw BPFError(operation: op, errno: 2, message: "no const volatile global named \(variable)")
        }
        guard size == MemoryLayout<T>.size else {
            throw BPFError(operation: op, errno: 22, message: "\(variable) is \(size) bytes, the value \(MemoryLayout<T>.size)")
        }
        guard let data = Libbpf.maps(handle).first(where: { Libbpf.mapIsInternal($0) && Libbpf.mapName($0).hasSuffix(".rodata") }),
              let region = Libbpf.initialValue(data), offset + size <= region.count
        else {
            throw BPFError(operation: op, errno: 2, message: "the object has no .rodata map")
        }
        withUnsafeBytes(of: value) { region.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: size) }
    }

    /// Makes this (unloaded) object use the maps of `other` (loaded) that have the same names,
    /// so that programs of both objects share state: the XDP and TC objects share one table and
    /// one conntrack map this way. Data sections (`.rodata`) are never shared.
    public func shareMaps(with other: BPFObject, names: [String]? = nil) throws(BPFError) {
        guard !isLoaded else {
            throw BPFError(operation: "share maps of \(name)", errno: 16, message: "the object is already loaded")
        }
        guard other.isLoaded else {
            throw BPFError(operation: "share maps of \(other.name)", errno: 22, message: "the object to share with is not loaded")
        }
        for m in maps where !Libbpf.mapIsInternal(m.handle) {
            guard names?.contains(m.name) ?? true else { continue }
            guard let theirs = other.maps.first(where: { $0.name == m.name }) else { continue }
            try Libbpf.reuseFD(m.handle, theirs.fd)
        }
    }

    // MARK: Load

    /// Creates the maps and loads every program through the verifier.
    ///
    /// - Parameter verifierStatistics: also ask the verifier for its statistics (processed
    ///   instructions, states, stack depth, time), kept per program in
    ///   ``BPFProgram/verifierStatistics``. Without it a failed load is retried by libbpf with
    ///   the full verifier log, which the thrown error carries.
    /// - Throws: ``BPFError`` with the verifier log in ``BPFError/log``.
    public func load(verifierStatistics: Bool = false) throws(BPFError) {
        guard !isLoaded else { return }
        if verifierStatistics {
            for p in Libbpf.programs(handle) {
                let size = 1 << 16
                let b = UnsafeMutableBufferPointer<CChar>.allocate(capacity: size)
                b.initialize(repeating: 0)
                logBuffers.append((Libbpf.programName(p), b))
                // BPF_LOG_STATS (4): the summary only, never the instruction trace.
                try Libbpf.setLog(p, buffer: b.baseAddress!, size: size, level: 4)
            }
        }
        let name = self.name, handle = self.handle
        let ((), log) = try Libbpf.capturedWithLog { () throws(BPFError) in try Libbpf.load(handle, name: name) }
        loadLog = log
        isLoaded = true
    }

    // MARK: Pinning

    /// Pins every map (not the data sections) under `directory`, which must be on a bpffs
    /// mount; the directory is created when missing.
    public func pinMaps(under directory: String) throws(BPFError) {
        try requireLoaded("pin maps")
        try requireBPFFileSystem(directory)
        for m in maps where !Libbpf.mapIsInternal(m.handle) {
            try m.pin(at: directory + "/" + m.name)
        }
    }

    /// Before load: makes every map (not the data sections) that has a pin under `directory`
    /// use the pinned map instead of creating one (`bpf_map__reuse_fd`), so this object's
    /// programs share the maps a previous process pinned. The pinned map must have this map's
    /// type, key and value sizes (libbpf's reuse_fd would take whatever it finds); its number
    /// of entries is kept. `names`: only these maps (nil: every map). Returns the names reused.
    @discardableResult
    public func reusePinnedMaps(under directory: String, only names: Set<String>? = nil) throws(BPFError) -> [String] {
        guard !isLoaded else {
            throw BPFError(operation: "reuse pinned maps of \(name)", errno: 16, message: "the object is already loaded")
        }
        var reused: [String] = []
        for m in maps where !Libbpf.mapIsInternal(m.handle) && (names?.contains(m.name) ?? true) {
            let path = directory + "/" + m.name
            guard FileSystem.exists(path) else { continue }
            let pinned = try PinnedMap(path: path)   // closed at the end of the iteration; reuse_fd keeps a duplicate
            guard pinned.typeName == m.typeName, pinned.keySize == m.keySize, pinned.valueSize == m.valueSize else {
                throw BPFError(operation: "reuse \(path)", errno: 22, message: "the pinned map is a \(pinned.typeName) with \(pinned.keySize)-byte keys "
                               + "and \(pinned.valueSize)-byte values; \(name) needs a \(m.typeName) with \(m.keySize) and \(m.valueSize)")
            }
            try Libbpf.reuseFD(m.handle, pinned.fd)
            reused.append(m.name)
        }
        return reused
    }

    /// Removes the pins ``pinMaps(under:)`` made.
    public func unpinMaps(under directory: String) throws(BPFError) {
        for m in maps where !Libbpf.mapIsInternal(m.handle) {
            try m.unpin(at: directory + "/" + m.name)
        }
    }

    func requireLoaded(_ what: String) throws(BPFError) {
        guard isLoaded else { throw BPFError(operation: "\(what) of \(name)", errno: 22, message: "the object is not loaded") }
    }
}

/// Fails unless `path` (or, when it does not exist yet, its nearest existing ancestor) is on a
/// bpffs mount, and creates `path` (and missing parents) as directories.
public func requireBPFFileSystem(_ directory: String) throws(BPFError) {
    if !FileSystem.isDirectory(directory) {
        let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.endIndex)])
        if !parent.isEmpty && !FileSystem.exists(parent) { try requireBPFFileSystem(parent) }
        guard Libbpf.isBPFFileSystem(parent.isEmpty ? "/" : parent) else {
            throw BPFError(operation: "pin under \(directory)", errno: 22, message: "\(parent) is not on a bpffs mount (mount -t bpf bpf /sys/fs/bpf)")
        }
        try FileSystem.makeDirectory(directory)
    }
    guard Libbpf.isBPFFileSystem(directory) else {
        throw BPFError(operation: "pin under \(directory)", errno: 22, message: "\(directory) is not on a bpffs mount (mount -t bpf bpf /sys/fs/bpf)")
    }
}
