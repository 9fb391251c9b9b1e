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
        // The Swift fast path on the three 1K-rule ClassBench sets in classbench/ (copied from ../shared/classbench).
        .executableTarget(
            name: "FastPathBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VerdictLibrary", package: "Verdict"),
            ],
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
    ]
)
