// Every call into libbpf, and the few system calls around it (if_nametoindex, setns, statfs),
// goes through this file: the rest of BPFLoader sees Swift types, thrown BPFErrors and opaque
// handles only. libbpf 1.x returns -errno (or NULL with errno set); each wrapper turns that
// into a BPFError naming the operation, and object-level operations (open, load, attach, pin)
// also carry what libbpf printed meanwhile, the verifier log included.

import CBPFShims
import CLibbpf
#if canImport(Glibc)
import Glibc
#endif

enum Libbpf {
    // MARK: - Messages

    /// libbpf's messages, kept while an operation runs under ``captured(_:_:)``.
    final class LogCapture: @unchecked Sendable {
        private var operation = pthread_mutex_t()
        private var state = pthread_mutex_t()
        private var text: String?

        init() {
            pthread_mutex_init(&operation, nil)
            pthread_mutex_init(&state, nil)
        }

        func append(level: Int32, message: String) {
            pthread_mutex_lock(&state)
            defer { pthread_mutex_unlock(&state) }
            if text != nil {
                if level != Int32(LIBBPF_DEBUG.rawValue) { text! += message }
            } else if level == Int32(LIBBPF_WARN.rawValue) {
                // Outside a captured operation a warning still reaches the user.
                var bytes = Array(message.utf8)
                _ = write(2, &bytes, bytes.count)
            }
        }

        /// Runs `body` with capture on; operations that capture run one at a time, so each
        /// error carries only its own messages.
        func run<T>(_ body: () throws(BPFError) -> T) throws(BPFError) -> (T, String) {
            pthread_mutex_lock(&operation)
            defer { pthread_mutex_unlock(&operation) }
            set("")
            let result: T
            do {
                result = try body()
            } catch {
                var e = error
                let log = take()
                e.log = e.log.isEmpty ? log : e.log + (log.isEmpty ? "" : "\n" + log)
                throw e
            }
            return (result, take())
        }

        private func set(_ t: String?) {
            pthread_mutex_lock(&state)
            text = t
            pthread_mutex_unlock(&state)
        }

        private func take() -> String {
            pthread_mutex_lock(&state)
            defer { pthread_mutex_unlock(&state) }
            let t = text ?? ""
            text = nil
            return t
        }
    }

    static let log = LogCapture()

    /// Installs the message sink once, before the first libbpf call.
    private static let printInstalled: Void = {
        CBPFShims_set_print { level, message in
            guard let message else { return }
            Libbpf.log.append(level: level, message: String(cString: message))
        }
    }()

    /// Runs an object-level operation with libbpf's messages captured into its error.
    static func captured<T>(_ body: () throws(BPFError) -> T) throws(BPFError) -> T {
        _ = printInstalled
        return try log.run(body).0
    }

    /// As ``captured(_:)``, also returning what libbpf printed on success.
    static func capturedWithLog<T>(_ body: () throws(BPFError) -> T) throws(BPFError) -> (T, String) {
        _ = printInstalled
        return try log.run(body)
    }

    // MARK: - Options structs

    /// The `sz` of a libbpf options struct: the end of its last field (the `__last_field` of
    /// libbpf's OPTS_VALID), not MemoryLayout.size. libbpf refuses non-zero bytes past the
    /// fields it knows, and a Swift copy of a struct does not keep its tail padding zero.
    static func optsSize<T, F>(_ last: KeyPath<T, F>) -> Int {
        MemoryLayout<T>.offset(of: last)! + MemoryLayout<F>.size
    }

    // MARK: - Errors

    /// A BPFError for a libbpf return value `ret` (< 0: -errno).
    static func error(_ operation: String, _ ret: Int32) -> BPFError {
        BPFError(operation: operation, errno: ret < 0 ? -ret : (errno != 0 ? errno : EINVAL))
    }

    @inline(__always)
    static func check(_ ret: Int32, _ operation: @autoclosure () -> String) throws(BPFError) {
        if ret < 0 { throw error(operation(), ret) }
    }

    // MARK: - Objects

    static func openMem(_ buffer: UnsafeRawBufferPointer, name: String) throws(BPFError) -> OpaquePointer {
        _ = printInstalled
        guard let cname = strdup(name) else { throw BPFError(operation: "bpf_object__open_mem(\(name))", errno: ENOMEM) }
        defer { free(cname) }
        var opts = bpf_object_open_opts()
        opts.sz = optsSize(\bpf_object_open_opts.kernel_log_level)
        opts.object_name = UnsafePointer(cname)
        errno = 0
        guard let obj = bpf_object__open_mem(buffer.baseAddress, buffer.count, &opts) else {
            throw BPFError(operation: "bpf_object__open_mem(\(name))", errno: errno == 0 ? EINVAL : errno)
        }
        return obj
    }

    static func openFile(_ path: String) throws(BPFError) -> OpaquePointer {
        _ = printInstalled
        errno = 0
        guard let obj = bpf_object__open_file(path, nil) else {
            throw BPFError(operation: "bpf_object__open_file(\(path))", errno: errno == 0 ? EINVAL : errno)
        }
        return obj
    }

    static func close(_ obj: OpaquePointer) { bpf_object__close(obj) }

    static func load(_ obj: OpaquePointer, name: String) throws(BPFError) {
        try check(bpf_object__load(obj), "bpf_object__load(\(name))")
    }

    static func objectName(_ obj: OpaquePointer) -> String { String(cString: bpf_object__name(obj)) }

    static func maps(_ obj: OpaquePointer) -> [OpaquePointer] {
        var out: [OpaquePointer] = []
        var m = bpf_object__next_map(obj, nil)
        while let map = m {
            out.append(map)
            m = bpf_object__next_map(obj, map)
        }
        return out
    }

    static func programs(_ obj: OpaquePointer) -> [OpaquePointer] {
        var out: [OpaquePointer] = []
        var p = bpf_object__next_program(obj, nil)
        while let prog = p {
            out.append(prog)
            p = bpf_object__next_program(obj, prog)
        }
        return out
    }

    static func pinMaps(_ obj: OpaquePointer, directory: String) throws(BPFError) {
        try check(bpf_object__pin_maps(obj, directory), "bpf_object__pin_maps(\(directory))")
    }

    static func unpinMaps(_ obj: OpaquePointer, directory: String) throws(BPFError) {
        try check(bpf_object__unpin_maps(obj, directory), "bpf_object__unpin_maps(\(directory))")
    }

    /// Offset and size of global variable `name` in data section `section` (".rodata"), from the
    /// object's BTF.
    static func variable(_ obj: OpaquePointer, section: String, name: String) -> (offset: Int, size: Int)? {
        guard let btf = bpf_object__btf(obj) else { return nil }
        // BTF_KIND_DATASEC (15): defined by both linux/btf.h and bpf/btf.h, so ambiguous in Swift.
        let sec = btf__find_by_name_kind(btf, section, 15)
        guard sec > 0, let t = btf__type_by_id(btf, UInt32(sec)) else { return nil }
        let n = Int(btf_vlen(t))
        guard let infos = btf_var_secinfos(t) else { return nil }
        for i in 0..<n {
            let info = infos[i]
            guard let vt = btf__type_by_id(btf, info.type), let vname = btf__name_by_offset(btf, vt.pointee.name_off) else { continue }
            if String(cString: vname) == name { return (Int(info.offset), Int(info.size)) }
        }
        return nil
    }

    // MARK: - Maps (before and after load)

    static func mapName(_ m: OpaquePointer) -> String { String(cString: bpf_map__name(m)) }
    static func mapFD(_ m: OpaquePointer) -> Int32 { bpf_map__fd(m) }
    static func mapType(_ m: OpaquePointer) -> UInt32 { bpf_map__type(m).rawValue }
    static func mapKeySize(_ m: OpaquePointer) -> Int { Int(bpf_map__key_size(m)) }
    static func mapValueSize(_ m: OpaquePointer) -> Int { Int(bpf_map__value_size(m)) }
    static func mapMaxEntries(_ m: OpaquePointer) -> UInt32 { bpf_map__max_entries(m) }
    static func mapIsInternal(_ m: OpaquePointer) -> Bool { bpf_map__is_internal(m) }

    static func isPerCPU(mapType t: UInt32) -> Bool {
        t == BPF_MAP_TYPE_PERCPU_ARRAY.rawValue || t == BPF_MAP_TYPE_PERCPU_HASH.rawValue
            || t == BPF_MAP_TYPE_LRU_PERCPU_HASH.rawValue || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE.rawValue
    }

    static func mapTypeName(_ t: UInt32) -> String {
        guard let s = libbpf_bpf_map_type_str(bpf_map_type(rawValue: t)) else { return "map type \(t)" }
        return String(cString: s)
    }

    static func setMaxEntries(_ m: OpaquePointer, _ n: UInt32) throws(BPFError) {
        try check(bpf_map__set_max_entries(m, n), "bpf_map__set_max_entries(\(mapName(m)), \(n))")
    }

    static func reuseFD(_ m: OpaquePointer, _ fd: Int32) throws(BPFError) {
        try check(bpf_map__reuse_fd(m, fd), "bpf_map__reuse_fd(\(mapName(m)))")
    }

    /// The initial contents of a data section map (.rodata, .data, .bss), writable until load.
    static func initialValue(_ m: OpaquePointer) -> UnsafeMutableRawBufferPointer? {
        var size = 0
        guard let p = bpf_map__initial_value(m, &size) else { return nil }
        // libbpf 1.1 returns it const, but it is the map's mmap'ed image, written before load
        // exactly as skeletons write `skel->rodata->var`.
        return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(mutating: p), count: size)
    }

    static func numPossibleCPUs() throws(BPFError) -> Int {
        let n = libbpf_num_possible_cpus()
        try check(n, "libbpf_num_possible_cpus")
        return Int(n)
    }

    // MARK: - Map elements (by fd)

    static func update(_ fd: Int32, _ key: UnsafeRawPointer, _ value: UnsafeRawPointer, flags: UInt64, map: @autoclosure () -> String) throws(BPFError) {
        try check(bpf_map_update_elem(fd, key, value, flags), "bpf_map_update_elem(\(map()))")
    }

    /// false when the key is absent.
    static func lookup(_ fd: Int32, _ key: UnsafeRawPointer, _ value: UnsafeMutableRawPointer, map: @autoclosure () -> String) throws(BPFError) -> Bool {
        let r = bpf_map_lookup_elem(fd, key, value)
        if r == -ENOENT { return false }
        try check(r, "bpf_map_lookup_elem(\(map()))")
        return true
    }

    /// false when the key is absent.
    static func delete(_ fd: Int32, _ key: UnsafeRawPointer, map: @autoclosure () -> String) throws(BPFError) -> Bool {
        let r = bpf_map_delete_elem(fd, key)
        if r == -ENOENT { return false }
        try check(r, "bpf_map_delete_elem(\(map()))")
        return true
    }

    /// Updates `count` elements in one system call; returns -errno instead of throwing, so that
    /// the caller can fall back to single updates where the map type has no batch operation.
    static func updateBatch(_ fd: Int32, _ keys: UnsafeRawPointer, _ values: UnsafeRawPointer, count: inout UInt32, flags: UInt64) -> Int32 {
        var opts = bpf_map_batch_opts()
        opts.sz = optsSize(\bpf_map_batch_opts.flags)
        opts.elem_flags = flags
        return bpf_map_update_batch(fd, keys, values, &count, &opts)
    }

    /// false at the end of the map.
    static func nextKey(_ fd: Int32, _ key: UnsafeRawPointer?, _ next: UnsafeMutableRawPointer, map: @autoclosure () -> String) throws(BPFError) -> Bool {
        let r = bpf_map_get_next_key(fd, key, next)
        if r == -ENOENT { return false }
        try check(r, "bpf_map_get_next_key(\(map()))")
        return true
    }

    // MARK: - Programs

    static func findProgram(_ obj: OpaquePointer, _ name: String) -> OpaquePointer? { bpf_object__find_program_by_name(obj, name) }
    static func programName(_ p: OpaquePointer) -> String { String(cString: bpf_program__name(p)) }
    static func programFD(_ p: OpaquePointer) -> Int32 { bpf_program__fd(p) }
    static func programType(_ p: OpaquePointer) -> UInt32 { bpf_program__type(p).rawValue }
    static func programSection(_ p: OpaquePointer) -> String { String(cString: bpf_program__section_name(p)) }
    static func instructionCount(_ p: OpaquePointer) -> Int { Int(bpf_program__insn_cnt(p)) }

    static func setLog(_ p: OpaquePointer, buffer: UnsafeMutablePointer<CChar>, size: Int, level: UInt32) throws(BPFError) {
        try check(bpf_program__set_log_buf(p, buffer, size), "bpf_program__set_log_buf(\(programName(p)))")
        try check(bpf_program__set_log_level(p, level), "bpf_program__set_log_level(\(programName(p)))")
    }

    static var xdpProgramType: UInt32 { BPF_PROG_TYPE_XDP.rawValue }
    static var tcProgramType: UInt32 { BPF_PROG_TYPE_SCHED_CLS.rawValue }

    struct TestRun {
        var retval: UInt32
        var duration: UInt32
        var dataSizeOut: UInt32
        var contextSizeOut: UInt32
    }

    static func testRun(_ fd: Int32, data: UnsafeRawBufferPointer, dataOut: UnsafeMutableRawBufferPointer?,
                        context: UnsafeRawBufferPointer?, contextOut: UnsafeMutableRawBufferPointer?,
                        repeat count: Int32, program: @autoclosure () -> String) throws(BPFError) -> TestRun {
        var opts = bpf_test_run_opts()
        opts.sz = optsSize(\bpf_test_run_opts.batch_size)
        opts.data_in = data.baseAddress
        opts.data_size_in = UInt32(data.count)
        if let dataOut {
            opts.data_out = dataOut.baseAddress
            opts.data_size_out = UInt32(dataOut.count)
        }
        if let context {
            opts.ctx_in = context.baseAddress
            opts.ctx_size_in = UInt32(context.count)
        }
        if let contextOut {
            opts.ctx_out = contextOut.baseAddress
            opts.ctx_size_out = UInt32(contextOut.count)
        }
        opts.`repeat` = count
        try check(bpf_prog_test_run_opts(fd, &opts), "bpf_prog_test_run_opts(\(program()))")
        return TestRun(retval: opts.retval, duration: opts.duration, dataSizeOut: opts.data_size_out, contextSizeOut: opts.ctx_size_out)
    }

    /// A zeroed `struct __sk_buff` with `tstamp` set: the only field besides zeros that a TC
    /// test run's context needs for `vd_replay_clock`.
    static func skbContext(tstamp: UInt64) -> [UInt8] {
        var skb = __sk_buff()
        skb.tstamp = tstamp
        return withUnsafeBytes(of: skb) { Array($0) }
    }

    // MARK: - Pinning

    static func pin(_ fd: Int32, path: String) throws(BPFError) {
        try check(bpf_obj_pin(fd, path), "bpf_obj_pin(\(path))")
    }

    static func pinned(_ path: String) throws(BPFError) -> Int32 {
        let fd = bpf_obj_get(path)
        try check(fd, "bpf_obj_get(\(path))")
        return fd
    }

    /// Closes a file descriptor this layer opened (a pinned object's).
    static func closeFD(_ fd: Int32) { _ = Glibc.close(fd) }

    /// What the kernel says about the map at `fd`: type, key and value sizes, entries, id, name.
    static func mapInfo(_ fd: Int32, path: String) throws(BPFError) -> (type: UInt32, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, id: UInt32) {
        var info = bpf_map_info()
        var len = UInt32(MemoryLayout<bpf_map_info>.size)
        try check(bpf_obj_get_info_by_fd(fd, &info, &len), "bpf_obj_get_info_by_fd(\(path))")
        return (info.type, info.key_size, info.value_size, info.max_entries, info.id)
    }

    /// The kernel's id of the program loaded at `fd`.
    static func programID(_ fd: Int32) throws(BPFError) -> UInt32 {
        var info = bpf_prog_info()
        var len = UInt32(MemoryLayout<bpf_prog_info>.size)
        try check(bpf_obj_get_info_by_fd(fd, &info, &len), "bpf_obj_get_info_by_fd(program fd \(fd))")
        return info.id
    }

    /// Swaps two paths in one step (renameat2 RENAME_EXCHANGE).
    static func renameExchange(_ a: String, _ b: String) throws(BPFError) {
        try check(CBPFShims_rename_exchange(a, b), "renameat2(\(a), \(b), RENAME_EXCHANGE)")
    }

    // MARK: - Maps made without an object

    /// Creates a map; returns its fd. `innerMapFD` is the template of a map-in-map.
    static func createMap(type: bpf_map_type, name: String, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32,
                          innerMapFD: Int32? = nil) throws(BPFError) -> Int32 {
        var opts = bpf_map_create_opts()
        opts.sz = optsSize(\bpf_map_create_opts.map_ifindex)
        if let innerMapFD { opts.inner_map_fd = UInt32(bitPattern: innerMapFD) }
        let fd = bpf_map_create(type, name, keySize, valueSize, maxEntries, &opts)
        try check(fd, "bpf_map_create(\(name))")
        return fd
    }

    static var arrayMapType: bpf_map_type { BPF_MAP_TYPE_ARRAY }
    static var arrayOfMapsType: bpf_map_type { BPF_MAP_TYPE_ARRAY_OF_MAPS }

    /// True when `path` lies on a bpffs mount.
    static func isBPFFileSystem(_ path: String) -> Bool {
        var s = statfs()
        guard statfs(path, &s) == 0 else { return false }
        return UInt64(bitPattern: Int64(s.f_type)) & 0xffff_ffff == UInt64(VD_BPF_FS_MAGIC)
    }

    // MARK: - XDP

    static let xdpFlagsUpdateIfNoExist = UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST)
    static let xdpFlagsSKB = UInt32(XDP_FLAGS_SKB_MODE)
    static let xdpFlagsDriver = UInt32(XDP_FLAGS_DRV_MODE)
    static let xdpAttachedNone = UInt8(XDP_ATTACHED_NONE)
    static let xdpAttachedDriver = UInt8(XDP_ATTACHED_DRV)
    static let xdpAttachedSKB = UInt8(XDP_ATTACHED_SKB)
    static let xdpAttachedMulti = UInt8(XDP_ATTACHED_MULTI)

    static func xdpAttach(ifindex: Int32, fd: Int32, flags: UInt32) throws(BPFError) {
        try check(bpf_xdp_attach(ifindex, fd, flags, nil), "bpf_xdp_attach(ifindex \(ifindex))")
    }

    /// Replaces the XDP program with id `oldID` by `fd` in one step (XDP_FLAGS_REPLACE with the
    /// old program's fd): EEXIST when another program is attached there by then.
    static func xdpReplace(ifindex: Int32, fd: Int32, flags: UInt32, oldID: UInt32) throws(BPFError) {
        let old = bpf_prog_get_fd_by_id(oldID)
        try check(old, "bpf_prog_get_fd_by_id(\(oldID))")
        defer { closeFD(old) }
        var opts = bpf_xdp_attach_opts()
        opts.sz = optsSize(\bpf_xdp_attach_opts.old_prog_fd)
        opts.old_prog_fd = old
        try check(bpf_xdp_attach(ifindex, fd, flags | UInt32(XDP_FLAGS_REPLACE), &opts), "bpf_xdp_attach(ifindex \(ifindex), replace id \(oldID))")
    }

    static func xdpDetach(ifindex: Int32, flags: UInt32) throws(BPFError) {
        try check(bpf_xdp_detach(ifindex, flags, nil), "bpf_xdp_detach(ifindex \(ifindex))")
    }

    struct XDPQuery {
        var attachMode: UInt8
        var programID: UInt32
        var driverProgramID: UInt32
        var genericProgramID: UInt32
    }

    static func xdpQuery(ifindex: Int32) throws(BPFError) -> XDPQuery {
        var opts = bpf_xdp_query_opts()
        opts.sz = optsSize(\bpf_xdp_query_opts.attach_mode)
        try check(bpf_xdp_query(ifindex, 0, &opts), "bpf_xdp_query(ifindex \(ifindex))")
        return XDPQuery(attachMode: opts.attach_mode, programID: opts.prog_id, driverProgramID: opts.drv_prog_id, genericProgramID: opts.skb_prog_id)
    }

    // MARK: - TC (clsact)

    private static func hook(ifindex: Int32, ingress: Bool, egress: Bool) -> bpf_tc_hook {
        var h = bpf_tc_hook()
        h.sz = optsSize(\bpf_tc_hook.parent)
        h.ifindex = ifindex
        h.attach_point = bpf_tc_attach_point(rawValue: (ingress ? BPF_TC_INGRESS.rawValue : 0) | (egress ? BPF_TC_EGRESS.rawValue : 0))
        return h
    }

    /// Creates the clsact qdisc; false when it already existed.
    static func tcHookCreate(ifindex: Int32) throws(BPFError) -> Bool {
        var h = hook(ifindex: ifindex, ingress: true, egress: false)
        let r = bpf_tc_hook_create(&h)
        if r == -EEXIST { return false }
        try check(r, "bpf_tc_hook_create(ifindex \(ifindex))")
        return true
    }

    /// Removes the clsact qdisc and every filter on it.
    static func tcHookDestroy(ifindex: Int32) throws(BPFError) {
        var h = hook(ifindex: ifindex, ingress: true, egress: true)
        let r = bpf_tc_hook_destroy(&h)
        if r == -ENOENT || r == -EINVAL { return }
        try check(r, "bpf_tc_hook_destroy(ifindex \(ifindex))")
    }

    /// Attaches `fd` as a direct-action filter; returns the program id the kernel reports.
    static func tcAttach(ifindex: Int32, ingress: Bool, fd: Int32, handle: UInt32, priority: UInt32, replace: Bool) throws(BPFError) -> UInt32 {
        var h = hook(ifindex: ifindex, ingress: ingress, egress: !ingress)
        var o = bpf_tc_opts()
        o.sz = optsSize(\bpf_tc_opts.priority)
        o.prog_fd = fd
        o.handle = handle
        o.priority = priority
        o.flags = replace ? UInt32(BPF_TC_F_REPLACE.rawValue) : 0
        try check(bpf_tc_attach(&h, &o), "bpf_tc_attach(ifindex \(ifindex), \(ingress ? "ingress" : "egress"))")
        return o.prog_id
    }

    /// Removes one filter (only handle and priority may be set for bpf_tc_detach).
    static func tcDetach(ifindex: Int32, ingress: Bool, handle: UInt32, priority: UInt32) throws(BPFError) {
        var h = hook(ifindex: ifindex, ingress: ingress, egress: !ingress)
        var o = bpf_tc_opts()
        o.sz = optsSize(\bpf_tc_opts.priority)
        o.handle = handle
        o.priority = priority
        try check(bpf_tc_detach(&h, &o), "bpf_tc_detach(ifindex \(ifindex), \(ingress ? "ingress" : "egress"))")
    }

    /// The program id of one filter, or nil when there is none.
    static func tcQuery(ifindex: Int32, ingress: Bool, handle: UInt32, priority: UInt32) throws(BPFError) -> UInt32? {
        var h = hook(ifindex: ifindex, ingress: ingress, egress: !ingress)
        var o = bpf_tc_opts()
        o.sz = optsSize(\bpf_tc_opts.priority)
        o.handle = handle
        o.priority = priority
        let r = bpf_tc_query(&h, &o)
        if r == -ENOENT || r == -EINVAL { return nil }
        try check(r, "bpf_tc_query(ifindex \(ifindex))")
        return o.prog_id
    }

    // MARK: - Probes

    /// 1 supported, 0 not, < 0 -errno (for example -EPERM without CAP_BPF).
    static func probeProgramType(xdp: Bool) -> Int32 {
        libbpf_probe_bpf_prog_type(xdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, nil)
    }

    /// 1 when XDP programs may call bpf_loop (Linux 5.17) and bpf_xdp_load_bytes (5.18), 0
    /// not, < 0 -errno.
    static func probeHelpers() -> Int32 {
        let loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_loop, nil)
        guard loop == 1 else { return loop }
        return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, nil)
    }

    static func libbpfVersion() -> String {
        "\(libbpf_major_version()).\(libbpf_minor_version())"
    }

    // MARK: - Interfaces and namespaces

    static func interfaceIndex(_ name: String) -> Int32 { Int32(bitPattern: if_nametoindex(name)) }

    /// Moves the calling thread into the network namespace open at `fd`.
    static func enterNetworkNamespace(_ fd: Int32) -> Int32 { setns(fd, Int32(CLONE_NEWNET)) }
}
