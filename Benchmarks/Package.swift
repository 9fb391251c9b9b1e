// swift-tools-version:6.1
// Verdict's benchmark suite: a separate package so that ordo-one/benchmark (about 70 s of extra
// build time) never slows the main build or `swift test` (../shared/docs/TOOLCHAIN.md §6).
// Run from this directory:  swift package benchmark --no-progress
import PackageDescription

let package = Package(
    name: "VerdictBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Verdict", path: ".."),
        // Without the MallocInterposer-only trait list, the default traits pull a package that is not mirrored here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // BenchGate counts allocations with it directly (the same interposer ordo-one's benchmarks use).
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "EvaluatorBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VerdictLibrary", package: "Verdict"),
            ],
            path: "Benchmarks/EvaluatorBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // scripts/bench's deterministic gate: allocations per packet, callgrind instructions per
        // packet against baselines/gate.json, and the same-run fast path / reference ratio.
        .executableTarget(
            name: "BenchGate",
            dependencies: ["BenchSupport", .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                           .product(name: "VerdictLibrary", package: "Verdict")],
            // Not directly under a directory named Benchmarks: ordo-one runs every executable there as a suite.
            path: "Tools/BenchGate"),
        // Per-rule-count workloads (ClassBench profiles at 10 … 100K rules, answers checked before
        // timing) and the run's scope from the environment (BenchEnvironment).
        .target(
            name: "BenchSupport",
            dependencies: ["CBenchShims", .product(name: "VerdictLibrary", package: "Verdict")],
            path: "BenchSupport"),
        // sched_setaffinity for pinning BPF test runs to one CPU (Glibc does not export it).
        .target(name: "CBenchShims", path: "CBenchShims"),
        // The Swift fast path per rule count, batched and one packet per call.
        .executableTarget(
            name: "FastPathBench",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/FastPathBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // End-to-end replay of the 1K-rule ClassBench traces as captures, beside the capture-reading ceiling.
        .executableTarget(
            name: "ReplayBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VerdictLibrary", package: "Verdict"),
            ],
            path: "Benchmarks/ReplayBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // Compile time and table bytes per rule count.
        .executableTarget(
            name: "CompileBench",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark"),
                           .product(name: "VerdictLibrary", package: "Verdict")],
            path: "Benchmarks/CompileBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // BPF ns per packet through BPF_PROG_TEST_RUN (hot and varied) and map memory per rule count.
        .executableTarget(
            name: "BPFBench",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/BPFBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // Reload time per rule count: BPFTablePlane.reload, and compile + swap on the Swift side.
        .executableTarget(
            name: "ReloadBench",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark"),
                           .product(name: "VerdictLibrary", package: "Verdict")],
            path: "Benchmarks/ReloadBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
