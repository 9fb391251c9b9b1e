// BenchGate: the deterministic part of scripts/bench's regression gate.
//
//   BenchGate check  [--baseline FILE] [--sets acl1,fw1,ipc1,acl1+index] [--rules 10,100,1000] [--no-instructions]
//                    [--toolchain TEXT] [--inject-allocation]
//   BenchGate update [--baseline FILE] [--sets …] [--rules …] [--toolchain TEXT]
//   BenchGate probe  --set S --rules N          (the callgrind child of check/update)
//
// check fails (exit 1) when, on any workload:
//   - the fast path allocates per packet (batch or one packet per call; the malloc interposer,
//     exact: Allocations.swift);
//   - callgrind's instructions per packet (batch, single, reference evaluator) rise more than the
//     baseline's tolerance above the committed baseline (Instructions.swift, Baseline.swift);
//   - the reference evaluator is less than WallRatio.floor times slower than the fast path in
//     the same run (WallRatio.swift);
//   - any answer is wrong (every region's answers are checked), or the baseline has no record of
//     the workload (or one measured on other headers).
// Exit 2: usage or set-up errors (no valgrind, unreadable baseline).

import BenchSupport
import Foundation

struct Options {
    var command = ""
    var baseline = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("baselines/gate.json").path
    var sets = BenchEnvironment.gateSets
    var rules = BenchEnvironment.quickRuleCounts
    var instructions = true
    var toolchain = "unknown"
    var set = ""
    var rule = 0

    init(_ args: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { usage("\(args[i - 1]) needs a value") }
            return args[i]
        }
        guard let c = args.first else { usage("no command") }
        command = c
        i = 1
        while i < args.count {
            switch args[i] {
            case "--baseline": baseline = value()
            case "--sets": sets = value().split(separator: ",").map(String.init)
            case "--rules": rules = value().split(separator: ",").map { Int($0) ?? 0 }
            case "--no-instructions": instructions = false
            case "--toolchain": toolchain = value()
            case "--inject-allocation": injectAllocation = true
            case "--set": set = value()
            case "--rule": rule = Int(value()) ?? 0
            default: usage("unknown option \(args[i])")
            }
            i += 1
        }
        if rules.contains(where: { $0 <= 0 }) { usage("--rules takes positive counts") }
    }
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("BenchGate: \(message)\nusage: BenchGate check|update [--baseline FILE] [--sets LIST] [--rules LIST] [--no-instructions] [--toolchain TEXT] [--inject-allocation]\n       BenchGate probe --set S --rule N\n".utf8))
    exit(2)
}

guard BenchEnvironment.mayRun("BenchGate") else { exit(2) }
let options = Options(Array(CommandLine.arguments.dropFirst()))
switch options.command {
case "probe":
    guard !options.set.isEmpty, options.rule > 0 else { usage("probe needs --set and --rule") }
    Probe.run(set: options.set, rules: options.rule)
case "check", "update":
    exit(Gate(options).run(update: options.command == "update"))
default:
    usage("unknown command \(options.command)")
}
