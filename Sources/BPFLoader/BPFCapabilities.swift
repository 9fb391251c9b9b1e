// Can this process load and run Verdict's BPF programs? Asked once, answered with a reason.

#if canImport(Glibc)
import Glibc
#endif

/// Whether BPF programs can be loaded here, and if not, why.
///
/// ```swift
/// @Suite(.enabled(if: BPFCapabilities.current.canLoadPrograms, "BPF unavailable"))
/// ```
public struct BPFCapabilities: Sendable {
    /// True when XDP and TC programs calling bpf_loop and bpf_xdp_load_bytes can be loaded.
    public var canLoadPrograms: Bool
    /// Why not, for people (nil when ``canLoadPrograms``).
    public var reason: String?
    /// libbpf's version (`1.1`).
    public var libbpfVersion: String

    /// The answer for this process, probed on first use.
    public static let current = probe()

    /// Looks at the process's capabilities, loads tiny XDP and TC programs and probes the
    /// helpers the policy programs call (`libbpf_probe_bpf_prog_type`, `libbpf_probe_bpf_helper`).
    public static func probe() -> BPFCapabilities {
        let version = Libbpf.libbpfVersion()
        func no(_ why: String) -> BPFCapabilities { BPFCapabilities(canLoadPrograms: false, reason: why, libbpfVersion: version) }
        func privilege(_ r: Int32) -> String {
            "loading BPF programs needs CAP_BPF and CAP_NET_ADMIN (or root); the kernel said \(String(cString: strerror(-r)))"
        }
        // libbpf's probes answer 0 for "refused" whatever the reason, so look at privilege first.
        if let caps = effectiveCapabilities(), caps & (1 << 39) == 0 /* CAP_BPF */ && caps & (1 << 21) == 0 /* CAP_SYS_ADMIN */ {
            return no("loading BPF programs needs CAP_BPF and CAP_NET_ADMIN (or root); this process has neither CAP_BPF nor CAP_SYS_ADMIN")
        }
        let xdp = Libbpf.probeProgramType(xdp: true)
        if xdp < 0 { return no(-xdp == EPERM || -xdp == EACCES ? privilege(xdp) : "probing XDP programs failed: \(String(cString: strerror(-xdp)))") }
        if xdp == 0 { return no("this kernel does not load XDP programs") }
        let tc = Libbpf.probeProgramType(xdp: false)
        if tc < 0 { return no(-tc == EPERM || -tc == EACCES ? privilege(tc) : "probing TC programs failed: \(String(cString: strerror(-tc)))") }
        if tc == 0 { return no("this kernel does not load TC (sched_cls) programs") }
        if Libbpf.probeHelpers() <= 0 { return no("this kernel lacks the bpf_loop or bpf_xdp_load_bytes helper (Linux 5.18 or later)") }
        return BPFCapabilities(canLoadPrograms: true, reason: nil, libbpfVersion: version)
    }

    /// Why this process cannot attach programs to interfaces (XDP, TC), or nil when it can:
    /// attaching needs CAP_NET_ADMIN on top of what loading needs.
    public static var attachRefusal: String? {
        if let r = current.reason { return r }
        if let caps = effectiveCapabilities(), caps & (1 << 12) == 0 /* CAP_NET_ADMIN */ {
            return "attaching BPF programs to an interface needs CAP_NET_ADMIN (or root); this process lacks CAP_NET_ADMIN"
        }
        return nil
    }

    /// Why this process cannot mount a file system (bpffs at /sys/fs/bpf), or nil when it
    /// may try: mount(2) needs CAP_SYS_ADMIN, which CAP_BPF does not include.
    public static var mountRefusal: String? {
        if let caps = effectiveCapabilities(), caps & (1 << 21) == 0 /* CAP_SYS_ADMIN */ {
            return "mounting bpffs needs CAP_SYS_ADMIN (or root); this process lacks CAP_SYS_ADMIN"
        }
        return nil
    }

    /// CapEff of /proc/self/status, or nil when it cannot be read.
    static func effectiveCapabilities() -> UInt64? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            if text.hasPrefix("CapEff:") {
                return UInt64(text.dropFirst("CapEff:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }).prefix(while: { $0.isHexDigit }), radix: 16)
            }
        }
        return nil
    }
}
