// XDP and TC attachment on veth pairs inside network namespaces the tests create and always
// delete (deleting a namespace removes its interfaces and whatever is attached to them), real
// UDP traffic through the XDP program, and pinning under a private bpffs mount.

import BPFEmbedded
import BPFLoader
import CVerdictABI
import Testing
#if canImport(Glibc)
import Glibc
#endif

private let attachEnabled = BPFCapabilities.current.canLoadPrograms && TestNamespace.available
private let attachReason = BPFCapabilities.current.reason ?? "cannot create network namespaces (needs root and iproute2)"

@Suite("Attach and pin", .enabled(if: attachEnabled, "\(attachReason)"))
struct AttachTests {
    @Test("XDP attaches natively and generically on a veth, and detaches", arguments: XDPMode.allCases)
    func xdp(mode: XDPMode) throws {
        let ns = try TestNamespace()
        let l = try Loaded("vd_xdp")
        let a = try ns.index("vd0")
        let attachment = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> XDPAttachment in
            try XDPAttachment.attach(l.program, ifindex: a, mode: mode)
        }
        #expect(attachment.programID != 0)
        let shown = try ns.ip("-d", "link", "show", "vd0")
        #expect(shown.contains(mode == .native ? "xdp " : "xdpgeneric"), "\(shown)")
        #expect(shown.contains("name vd_xdp"), "\(shown)")
        let attached = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> [XDPMode: UInt32] in try XDPAttachment.query(ifindex: a) }
        #expect(attached == [mode: attachment.programID])
        // A second attach without replace is refused, naming the reason.
        do throws(BPFError) {
            _ = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> XDPAttachment in try XDPAttachment.attach(l.program, ifindex: a, mode: mode) }
            Issue.record("a second attach succeeded")
        } catch {
            #expect(error.message.contains("already has an XDP program"), "\(error)")
        }
        try NetworkNamespace.run(ns.name) { () throws(BPFError) in try attachment.detach() }
        #expect(try NetworkNamespace.run(ns.name) { () throws(BPFError) -> [XDPMode: UInt32] in try XDPAttachment.query(ifindex: a) }.isEmpty)
        #expect(!(try ns.ip("-d", "link", "show", "vd0")).contains("prog/xdp"))
    }

    @Test("native XDP is refused where the driver lacks it; generic works there")
    func nativeRefused() throws {
        let ns = try TestNamespace()
        try ns.ip("link", "add", "name", "d0", "type", "bridge")
        try ns.ip("link", "set", "d0", "up")
        let l = try Loaded("vd_xdp")
        let d0 = try ns.index("d0")
        do throws(BPFError) {
            _ = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> XDPAttachment in try XDPAttachment.attach(l.program, ifindex: d0, mode: .native) }
            Issue.record("native XDP attached to a bridge")
        } catch {
            #expect(error.errno == EOPNOTSUPP && error.message.contains("generic mode"), "\(error)")
        }
        let g = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> XDPAttachment in try XDPAttachment.attach(l.program, ifindex: d0, mode: .generic) }
        #expect(try ns.ip("-d", "link", "show", "d0").contains("xdpgeneric"))
        try NetworkNamespace.run(ns.name) { () throws(BPFError) in try g.detach() }
    }

    @Test("TC programs attach to clsact ingress and egress, and detach")
    func tc() throws {
        let ns = try TestNamespace()
        let l = try Loaded("vd_tc_ingress")
        let egress = try l.object.program("vd_tc_egress")
        let a = try ns.index("vd0")
        let (i, e) = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> (TCAttachment, TCAttachment) in
            (try TCAttachment.attach(l.program, ifindex: a, direction: .ingress),
             try TCAttachment.attach(egress, ifindex: a, direction: .egress))
        }
        #expect(i.createdQdisc && !e.createdQdisc)
        let inFilters = try ns.tc("filter", "show", "dev", "vd0", "ingress")
        let outFilters = try ns.tc("filter", "show", "dev", "vd0", "egress")
        #expect(inFilters.contains("vd_tc_ingress") && inFilters.contains("direct-action"), "\(inFilters)")
        #expect(outFilters.contains("vd_tc_egress") && outFilters.contains("direct-action"), "\(outFilters)")
        let ids = try NetworkNamespace.run(ns.name) { () throws(BPFError) -> (UInt32?, UInt32?) in
            (try TCAttachment.query(ifindex: a, direction: .ingress), try TCAttachment.query(ifindex: a, direction: .egress))
        }
        #expect(ids.0 == i.programID && ids.1 == e.programID)
        try NetworkNamespace.run(ns.name) { () throws(BPFError) in
            try i.detach()
            try e.detach()
        }
        #expect(try NetworkNamespace.run(ns.name) { () throws(BPFError) -> UInt32? in try TCAttachment.query(ifindex: a, direction: .ingress) } == nil)
        #expect(!(try ns.tc("filter", "show", "dev", "vd0", "ingress")).contains("vd_tc"))
        try NetworkNamespace.run(ns.name) { () throws(BPFError) in try TCAttachment.removeQdisc(ifindex: a) }
        #expect(!(try ns.tc("qdisc", "show", "dev", "vd0")).contains("clsact"))
    }

    @Test("real UDP traffic: the allowed port arrives, the denied one does not, hits count", arguments: ["vd_xdp", "vd_tc_ingress"])
    func traffic(program: String) throws {
        let pair = try TestNamespacePair()
        let l = try Loaded(program)
        try TwoPods.write(to: l.object)   // a 10.0.0.1 (endpoint 0), b 10.0.0.2 (endpoint 1)
        let vd0 = try pair.left.index("vd0")
        // Attached where traffic from b enters a's namespace; detached by deleting the namespace.
        try NetworkNamespace.run(pair.left.name) { () throws(BPFError) in
            if l.isXDP {
                _ = try XDPAttachment.attach(l.program, ifindex: vd0, mode: .native)
            } else {
                _ = try TCAttachment.attach(l.program, ifindex: vd0, direction: .ingress)
            }
        }
        let open80 = try UDPSocket(in: pair.left.name, bind: TwoPods.a, port: 80)
        let open8080 = try UDPSocket(in: pair.left.name, bind: TwoPods.a, port: 8080)
        let sender = try UDPSocket(in: pair.right.name, bind: TwoPods.b, port: 5555)
        // The first datagram may wait for ARP (ARP is not IP: the program passes it).
        try sender.send("allowed", to: TwoPods.a, port: 80)
        try sender.send("denied", to: TwoPods.a, port: 8080)
        #expect(open80.receive(timeoutMilliseconds: 3000) == "allowed")
        #expect(open8080.receive(timeoutMilliseconds: 1000) == nil)
        #expect(try l.object.hits(TwoPods.ingressRules + 2) == 1)
        #expect(try l.object.hits(TwoPods.ingressRules + 3) == 1)
        #expect(try l.object.hits(TwoPods.egressRules) == 2)
    }

    @Test("maps and programs pin under a bpffs directory and unpin")
    func pinning() throws {
        let mount = try PrivateBPFFS()
        let l = try Loaded("vd_xdp")
        let dir = mount.path + "/verdict"
        try l.object.pinMaps(under: dir)
        for m in EmbeddedObjectTests.mapNames { #expect(access(dir + "/" + m, F_OK) == 0, "\(m) pinned") }
        try l.program.pin(at: dir + "/vd_xdp")
        #expect(access(dir + "/vd_xdp", F_OK) == 0)
        try l.program.unpin(at: dir + "/vd_xdp")
        try l.object.unpinMaps(under: dir)
        for m in EmbeddedObjectTests.mapNames { #expect(access(dir + "/" + m, F_OK) != 0, "\(m) unpinned") }
        #expect(rmdir(dir) == 0, "nothing left in the pin directory")
        // Outside a bpffs mount, pinning explains itself.
        do throws(BPFError) {
            try l.object.pinMaps(under: "/tmp/vdt-not-bpffs-\(getpid())")
            Issue.record("pinned outside bpffs")
        } catch {
            #expect(error.message.contains("bpffs"), "\(error)")
        }
    }
}

@Suite("Errors", .enabled(if: BPFCapabilities.current.canLoadPrograms, "BPF unavailable: \(BPFCapabilities.current.reason ?? "")"))
struct ErrorTests {
    @Test("a map the kernel refuses fails the load with libbpf's reason")
    func mapRefused() throws {
        let o = try BPFObject(bytes: BPFEmbedded.policyXDP, name: "policy_xdp")
        try o.map("vd_rows").setMaxEntries(0)
        do throws(BPFError) {
            try o.load()
            Issue.record("loaded with a zero-sized array")
        } catch {
            #expect(error.operation.contains("bpf_object__load") && error.errno != 0)
            #expect(error.log.contains("vd_rows"), "\(error)")
        }
        #expect(!o.isLoaded)
    }

    @Test("a program the verifier rejects: the error carries the verifier's log")
    func verifierLog() throws {
        let dir = "/tmp/vdt-bad-\(getpid())"
        mkdir(dir, 0o700)
        defer { Shell.run(["rm", "-rf", dir]) }
        let source = """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>
            SEC("xdp") int bad(struct xdp_md *ctx) { return *(unsigned char *)((void *)(long)ctx->data + 20); }
            char LICENSE[] SEC("license") = "GPL";
            """
        let fd = open(dir + "/bad.bpf.c", O_CREAT | O_WRONLY, 0o600)
        _ = source.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        let triple = Shell.run(["gcc", "-dumpmachine"]).output.split(separator: "\n").first.map(String.init) ?? "x86_64-linux-gnu"
        let cc = Shell.run(["clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/\(triple)", "-c", dir + "/bad.bpf.c", "-o", dir + "/bad.bpf.o"])
        guard cc.status == 0 else {
            print("skipped: no clang to build the rejected program: \(cc.output)")
            return
        }
        let o = try BPFObject(path: dir + "/bad.bpf.o")
        do throws(BPFError) {
            try o.load()
            Issue.record("the verifier accepted an out-of-bounds packet read")
        } catch {
            #expect(error.errno == EACCES || error.errno == EINVAL, "\(error)")
            #expect(error.verifierLog.contains("invalid access to packet"), "\(error.verifierLog)")
        }
    }

    @Test("key and value sizes are checked before any system call")
    func sizes() throws {
        let l = try Loaded("vd_xdp")
        #expect(throws: BPFError.self) { try l.object.map("vd_rows").update(key: UInt64(0), value: UInt64(0)) }
        #expect(throws: BPFError.self) { try l.object.map("vd_rows").update(key: UInt32(0), value: UInt32(0)) }
        #expect(throws: BPFError.self) { try l.object.map("vd_hits").lookup(key: UInt32(0), as: UInt64.self) }
        #expect(throws: BPFError.self) { try l.object.map("vd_rows").setMaxEntries(10) }
        #expect(try l.object.map("vd_rows").lookup(key: UInt32(0), as: UInt64.self) == 0)
        #expect(try l.object.map("vd_ct").lookup(key: vd_ct_key(), as: vd_ct_value.self) == nil)
    }
}
