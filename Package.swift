// swift-tools-version:6.1
// Verdict: a packet classifier for Kubernetes and Calico network policy.
//
// Module graph (see README "Module map"): policy-side modules are pure Swift and never import C;
// everything that touches libpcap or libbpf sits behind its own system-library target.
import PackageDescription

let package = Package(
    name: "Verdict",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verdict", targets: ["verdict"]),
        // Writes captures/ (pcap/pcapng files, expected verdicts, manifest) byte for byte.
        .executable(name: "capture-generator", targets: ["CaptureGenerator"]),
        // For the separate Benchmarks/ package.
        .library(name: "VerdictLibrary", targets: ["Selectors", "Addresses", "PolicyModel", "ReferenceEvaluator", "CVerdictABI", "MatchTable",
                                                  "PolicyCompiler", "Classifier", "Packets", "PcapIO", "ClassBench", "Workloads", "CaptureReplay",
                                                  "BPFLoader", "BPFImage", "BPFDataPlane"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Calico selector language: tokenizer, parser, AST, canonical form, evaluation.
        .target(name: "Selectors"),
        // IP addresses and CIDR blocks: strict parsing, canonical printing.
        .target(name: "Addresses"),
        // Resources as Verdict understands them: loading (YAML/JSON), strict validation,
        // Kubernetes → Calico conversion, and the resolved inventory of endpoints.
        .target(name: "PolicyModel", dependencies: ["Selectors", "Addresses", .product(name: "Yams", package: "Yams")]),
        // The table layout shared by Swift and bpf/ (vd_abi.h), with compile-time layout checks.
        .target(name: "CVerdictABI"),
        // The compiled match table: encoding, checked loading, and a stable text dump.
        .target(name: "MatchTable", dependencies: ["CVerdictABI"]),
        // Policy set → match table: address atoms, flattened chains, per-dimension classes.
        .target(name: "PolicyCompiler", dependencies: ["PolicyModel", "Selectors", "Addresses", "MatchTable", "CVerdictABI"]),
        // The fast path: classify packets against a match table, with connection tracking.
        // A software prefetch, which Swift cannot spell (the term index's batch lookup).
        .target(name: "CPrefetch"),
        .target(name: "Classifier", dependencies: ["MatchTable", "CVerdictABI", "CPrefetch", "Addresses", "Packets"]),
        // The slow, obviously correct oracle: one connection in, a verdict with its full trail out.
        .target(name: "ReferenceEvaluator", dependencies: ["PolicyModel", "Selectors"]),
        // Zero-allocation L2–L4 header parsing into a flow key (same contract as bpf/lib/parse.h).
        .target(name: "Packets", dependencies: ["Addresses"]),
        // libpcap, with the `bpf_insn` rename that lets it coexist with linux/bpf.h.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Capture files in and out through libpcap.
        .target(name: "PcapIO", dependencies: ["CPcap", "Packets"]),
        // zlib, for reading gzip-compressed ClassBench traces.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // ClassBench rule files and traces, and their mapping to ordered Calico policies.
        .target(name: "ClassBench", dependencies: ["PolicyModel", "ReferenceEvaluator", "Addresses", "Packets", "PcapIO", "CZlib"]),
        // Seeded, reproducible workloads: ClassBench-shaped rule sets and traces, Kubernetes/Calico policy sets with traffic.
        .target(name: "Workloads", dependencies: ["ClassBench", "PolicyModel", "ReferenceEvaluator", "Addresses"]),
        // Replay's swift engine as a library: a capture through conntrack and the table, in capture order, on one or more cores.
        .target(name: "CaptureReplay", dependencies: ["Classifier", "MatchTable", "Packets", "PcapIO", "Addresses"]),
        // `verdict audit`'s analysis: default-deny status and misconfiguration findings, as values.
        .target(name: "Audit", dependencies: ["PolicyModel", "ReferenceEvaluator", "Selectors", "Addresses", "PolicyCompiler", "MatchTable", "CVerdictABI"]),
        // One ParsableCommand per file; the `verdict` executable is a thin shell over these.
        .target(name: "VerdictCommands", dependencies: [
            "Selectors", "Addresses", "PolicyModel", "ReferenceEvaluator", "MatchTable", "PolicyCompiler", "Classifier", "Packets", "PcapIO", "ClassBench",
            "CaptureReplay", "Audit", "BPFDataPlane", "BPFLoader", "BPFImage", "Workloads",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libbpf: BPF objects, maps, test runs, XDP/TC attachment (only BPFLoader/Internals/Libbpf.swift calls it).
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        // C helpers around libbpf that Swift cannot write; each says why it exists.
        .target(name: "CBPFShims", dependencies: ["CLibbpf"]),
        // The policy programs of bpf/, compiled by BPFCompilePlugin with the toolchain's clang and embedded as bytes.
        .target(name: "BPFEmbedded", plugins: ["BPFCompilePlugin"]),
        .plugin(name: "BPFCompilePlugin", capability: .buildTool()),
        // libbpf from Swift: objects, maps, programs, BPF_PROG_TEST_RUN, XDP/TC attachment, pinning, typed errors.
        .target(name: "BPFLoader", dependencies: ["CLibbpf", "CBPFShims"]),
        .executableTarget(name: "verdict", dependencies: ["VerdictCommands"]),
        // A table as the exact contents of the BPF maps (both generations), and a Swift model of the
        // BPF program's lookup over them: the executable specification bpf/ is checked against.
        .target(name: "BPFImage", dependencies: ["MatchTable", "CVerdictABI", "Addresses"]),
        // A table in the kernel: the embedded objects sized and loaded, BPFImage written in the
        // documented order, generation flips, hits, test runs; and captures through the TC program.
        .target(name: "BPFDataPlane", dependencies: ["BPFLoader", "BPFImage", "BPFEmbedded", "MatchTable", "CVerdictABI",
                                                    "Classifier", "Packets", "Addresses"]),
        // The committed generator of captures/: every capture, its expected verdicts and the manifest.
        .executableTarget(name: "CaptureGenerator", dependencies: ["Packets", "PcapIO", "Addresses"]),

        .testTarget(name: "SelectorsTests", dependencies: ["Selectors"]),
        .testTarget(name: "AddressesTests", dependencies: ["Addresses"]),
        .testTarget(name: "PolicyModelTests", dependencies: ["PolicyModel"]),
        .testTarget(name: "PacketsTests", dependencies: ["Packets", "Addresses"]),
        .testTarget(name: "PcapIOTests", dependencies: ["PcapIO", "Packets", "Addresses"]),
        .testTarget(name: "MatchTableTests", dependencies: ["MatchTable", "CVerdictABI", "PolicyCompiler", "PolicyModel"],
                    exclude: ["golden"]),
        .testTarget(name: "VerdictCommandsTests", dependencies: ["TestFixtures", "VerdictCommands", "CaptureReplay", "BPFLoader", "PolicyModel", "ReferenceEvaluator", "PolicyCompiler", "Classifier", "MatchTable", "Packets", "PcapIO", "Addresses"]),
        .testTarget(name: "CapturesTests", dependencies: ["CaptureGenerator", "Packets", "PcapIO", "Addresses", "PolicyModel", "ReferenceEvaluator"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "ClassBench", "PolicyModel", "ReferenceEvaluator", "Addresses", "PolicyCompiler", "Classifier", "CVerdictABI", "MatchTable"]),
        .testTarget(name: "ClassBenchTests", dependencies: ["ClassBench", "PolicyModel", "ReferenceEvaluator", "Addresses", "CZlib"]),
        // Fixtures shared by the tests that compare engines (paths, conformance policy sets, probe keys).
        .target(name: "TestFixtures", dependencies: ["Addresses", "BPFImage", "Classifier", "MatchTable", "PolicyCompiler", "PolicyModel",
                                                    "ReferenceEvaluator"], path: "Tests/TestFixtures"),
        .testTarget(name: "BPFImageTests", dependencies: ["TestFixtures", "BPFImage", "MatchTable", "CVerdictABI", "Addresses", "Classifier", "PolicyCompiler",
                                                         "PolicyModel", "ReferenceEvaluator", "ClassBench"]),
        .testTarget(name: "BPFDataPlaneTests", dependencies: ["TestFixtures", "BPFDataPlane", "BPFImage", "BPFLoader", "MatchTable", "CVerdictABI", "Classifier",
                                                             "PolicyCompiler", "PolicyModel", "ReferenceEvaluator", "ClassBench", "Packets",
                                                             "PcapIO", "Addresses"]),
        .testTarget(name: "BPFLoaderTests", dependencies: ["BPFLoader", "BPFEmbedded", "CVerdictABI", "CLibbpf", "Packets", "Addresses"]),
        .testTarget(name: "DifferentialTests", dependencies: ["TestFixtures", "PolicyModel", "ReferenceEvaluator", "Selectors", "Addresses", "Classifier", "PolicyCompiler", "MatchTable", "CVerdictABI"]),
    ]
)
