// check and update: measure every workload, then compare with the baseline (check) or write it
// (update). Prints one line per figure, and every failure again at the end.

import BenchSupport
import Foundation

struct Gate {
    let options: Options

    init(_ options: Options) { self.options = options }

    func run(update: Bool) -> Int32 {
        if options.instructions && Instructions.valgrind == nil {
            FileHandle.standardError.write(Data("BenchGate: valgrind is not installed (scripts/setup-system installs it); --no-instructions skips that part\n".utf8))
            return 2
        }
        if update && !options.instructions { usage("update needs instruction counts (drop --no-instructions)") }
        var baseline: GateBaseline?
        if FileManager.default.fileExists(atPath: options.baseline) {
            do { baseline = try GateBaseline.load(options.baseline) } catch {
                FileHandle.standardError.write(Data("BenchGate: cannot read \(options.baseline): \(error)\n".utf8))
                return 2
            }
        } else if !update {
            FileHandle.standardError.write(Data("BenchGate: no baseline at \(options.baseline) (scripts/bench --update-baseline writes it)\n".utf8))
            return 2
        }
        let tolerance = baseline?.tolerance ?? GateBaseline.defaultTolerance
        let valgrind = Instructions.valgrindVersion
        if let b = baseline, !update, b.toolchain != options.toolchain || b.valgrind != valgrind {
            print("note: the baseline was measured with \(b.toolchain), \(b.valgrind); this run uses \(options.toolchain), \(valgrind): "
                  + "instruction counts may shift with the toolchain")
        }
        var failures: [String] = []
        var improvements: [String] = []
        var records: [GateRecord] = []
        for rules in options.rules {
            for set in options.sets {
                let g = GateWorkload(set: set, rules: rules)
                var r = GateRecord(set: set, rules: rules, rulesInSet: g.compiled.workload.rules.count, headers: g.compiled.keys.count,
                                   measuredHeaders: g.keys.count, referenceHeaders: g.referenceCount,
                                   instructionsPerPacket: [:], allocations: [:], wallRatio: nil)
                // 1. Allocations per packet: 0, exactly.
                for (mode, single) in [("batch", false), ("single", true)] {
                    let a = Allocations.measure(g, single: single)
                    r.allocations[mode] = a
                    let ok = a.perPacket == 0
                    print("\(r.key) \(mode): allocations per packet \(a.perPacket) (fixed \(a.fixed) per run of \(g.keys.count) headers) \(ok ? "ok" : "FAIL")")
                    if !ok { failures.append("\(r.key) \(mode): \(a.perPacket) allocations per packet (must be 0)") }
                }
                // 2. Same-run ratio of reference to fast path (wall clock), with a fixed floor.
                let w = WallRatio.measure(g)
                r.wallRatio = w
                let ratioOK = w.ratio >= WallRatio.floor
                print("\(r.key): fast path \(String(format: "%.1f", w.fastNanoseconds)) ns/packet, reference \(String(format: "%.0f", w.referenceNanoseconds)) ns/packet: "
                      + "ratio \(String(format: "%.0f", w.ratio))× (floor \(Int(WallRatio.floor))×) \(ratioOK ? "ok" : "FAIL")")
                if !ratioOK { failures.append("\(r.key): the reference evaluator is only \(String(format: "%.1f", w.ratio))× slower than the fast path (floor \(WallRatio.floor)×)") }
                // 3. Instructions per packet against the baseline.
                if options.instructions {
                    do throws(WorkloadError) {
                        r.instructionsPerPacket = try Instructions.measure(set: set, rules: rules).perPacket
                    } catch {
                        failures.append("\(r.key): \(error)")
                        print("\(r.key): instructions: FAIL: \(error)")
                        continue
                    }
                    if !update { compare(r, baseline?.record(r.key), tolerance: tolerance, &failures, &improvements) }
                }
                records.append(r)
            }
        }
        if update {
            guard failures.isEmpty else {
                print("\nnot updating \(options.baseline): \(failures.count) failure(s):")
                failures.forEach { print("  - \($0)") }
                return 1
            }
            let base = baseline ?? GateBaseline(toolchain: options.toolchain, valgrind: valgrind, tolerance: GateBaseline.defaultTolerance, workloads: [])
            do { try base.merging(records, toolchain: options.toolchain, valgrind: valgrind).save(options.baseline) } catch {
                FileHandle.standardError.write(Data("BenchGate: cannot write \(options.baseline): \(error)\n".utf8))
                return 2
            }
            print("\nwrote \(options.baseline) (\(records.count) workloads)")
            return 0
        }
        if !improvements.isEmpty {
            print("\nBETTER than the baseline by more than \(Int(tolerance * 100))% (refresh it with scripts/bench --update-baseline to keep the gain):")
            improvements.forEach { print("  - \($0)") }
        }
        if failures.isEmpty {
            print("\ngate: PASS (\(records.count) workloads)")
            return 0
        }
        print("\ngate: FAIL: \(failures.count) regression(s):")
        failures.forEach { print("  - \($0)") }
        return 1
    }

    func compare(_ r: GateRecord, _ base: GateRecord?, tolerance: Double, _ failures: inout [String], _ improvements: inout [String]) {
        guard let base else {
            failures.append("\(r.key): no baseline record (scripts/bench --update-baseline)")
            print("\(r.key): instructions: no baseline record FAIL")
            return
        }
        guard base.identity == r.identity else {
            failures.append("\(r.key): the baseline measured another workload (rules, headers, measured, reference: \(base.identity) vs \(r.identity)); refresh it")
            print("\(r.key): instructions: baseline workload differs FAIL")
            return
        }
        for mode in Instructions.modes {
            guard let now = r.instructionsPerPacket[mode], let then = base.instructionsPerPacket[mode], then > 0 else {
                failures.append("\(r.key) \(mode): no instruction count in the run or the baseline")
                continue
            }
            let change = now / then - 1
            let verdict = change > tolerance ? "FAIL" : change < -tolerance ? "better" : "ok"
            print("\(r.key) \(mode): \(String(format: "%.1f", now)) instructions/packet (baseline \(String(format: "%.1f", then)), "
                  + "\(String(format: "%+.2f", change * 100))%, tolerance ±\(String(format: "%.0f", tolerance * 100))%) \(verdict)")
            if change > tolerance {
                failures.append("\(r.key) \(mode): \(String(format: "%.1f", now)) instructions/packet, \(String(format: "%+.2f", change * 100))% over the baseline's \(String(format: "%.1f", then))")
            } else if change < -tolerance {
                improvements.append("\(r.key) \(mode): \(String(format: "%+.2f", change * 100))%")
            }
        }
    }
}
