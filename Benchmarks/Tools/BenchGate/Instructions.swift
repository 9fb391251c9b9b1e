// Instructions per packet, deterministically: this executable re-runs itself as `probe` under
// valgrind's callgrind, which counts every instruction the guest executes (perf's hardware
// counters, and so ordo-one's .instructions metric, are not available on this VM). callgrind
// zeroes its counters on entering a gateRegion function and dumps them on leaving it, so each
// dump holds exactly one region's instructions, setup excluded. The probe runs each region twice
// (warm-up, then measured) in a fixed order; the measured dumps are 2, 4 and 6.

import BenchSupport
import Foundation

enum Instructions {
    static let modes = ["batch", "single", "reference"]

    /// The valgrind executable on PATH, or nil.
    static var valgrind: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/valgrind"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static var valgrindVersion: String {
        guard let v = valgrind else { return "none" }
        return (try? run(v, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "unknown"
    }

    /// Instructions per packet of each mode for one workload, and the header counts they cover.
    static func measure(set: String, rules: Int) throws(WorkloadError) -> (perPacket: [String: Double], counts: [String: Int]) {
        guard let vg = valgrind else { throw WorkloadError("valgrind is not installed (scripts/setup-system installs it)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-gate-\(getpid())-\(set)-\(rules)")
        try? FileManager.default.removeItem(at: dir)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw WorkloadError("cannot create \(dir.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cg.out").path
        // valgrind 3.19 gives up on the toolchain's DWARF ("possibly corrupted debuginfo"): the
        // probe runs as a copy without debug sections (its libraries found beside the original).
        let original = selfExecutable
        let copy = dir.appendingPathComponent("BenchGate-nodebug").path
        let regionNames = try Self.prepareProbe(original: original, copy: copy)
        // --dump-after takes exact names only (a pattern matches nothing), so the symbols are looked up.
        var args = ["--tool=callgrind", "--callgrind-out-file=\(out)", "--dump-instr=no", "--dump-line=no"]
        for name in regionNames { args += ["--zero-before=\(name)", "--dump-after=\(name)"] }
        args += [copy, "probe", "--set", set, "--rule", "\(rules)"]
        let r: (status: Int32, output: String)
        let libraries = URL(fileURLWithPath: original).deletingLastPathComponent().path
        do { r = try run(vg, args, environment: ["SWIFT_DETERMINISTIC_HASHING": "1", "LD_LIBRARY_PATH": libraries]) } catch {
            throw WorkloadError("valgrind: \(error)")
        }
        guard r.status == 0 else { throw WorkloadError("\(set)/\(rules): the probe under callgrind exited \(r.status):\n\(r.output)") }
        // The probe's last line: "gate-probe: batch=2048 single=2048 reference=64".
        guard let line = r.output.split(separator: "\n").last(where: { $0.hasPrefix("gate-probe:") }) else {
            throw WorkloadError("\(set)/\(rules): the probe printed no counts:\n\(r.output)")
        }
        var counts: [String: Int] = [:]
        for part in line.dropFirst("gate-probe:".count).split(separator: " ") {
            let kv = part.split(separator: "=")
            if kv.count == 2, let n = Int(kv[1]) { counts[String(kv[0])] = n }
        }
        let dumps = (1...6).map { "\(out).\($0)" }
        var perPacket: [String: Double] = [:]
        for (i, mode) in modes.enumerated() {
            let path = dumps[2 * i + 1]
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw WorkloadError("\(set)/\(rules): callgrind wrote no dump \(path) (did a gateRegion function get inlined or renamed?)")
            }
            guard let total = totals(text), let n = counts[mode], n > 0 else {
                throw WorkloadError("\(set)/\(rules): no totals in \(path) or no count for \(mode)")
            }
            perPacket[mode] = Double(total) / Double(n)
        }
        return (perPacket, counts)
    }

    /// The `totals:` (or `summary:`) line of a callgrind dump: instructions (Ir, the only event).
    static func totals(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("totals:") || line.hasPrefix("summary:") {
            if let v = line.split(separator: " ").dropFirst().first, let n = Int(v) { return n }
        }
        return nil
    }

    /// Writes the copy without debug sections and returns the mangled names of the three region
    /// functions in it (`nm`: they are local symbols of the executable).
    static func prepareProbe(original: String, copy: String) throws(WorkloadError) -> [String] {
        let nmOutput: String
        do {
            let strip = try run("/usr/bin/env", ["objcopy", "--strip-debug", original, copy])
            guard strip.status == 0 else { throw WorkloadError("objcopy --strip-debug \(original): \(strip.output)") }
            let nm = try run("/usr/bin/env", ["nm", "--defined-only", copy])
            guard nm.status == 0 else { throw WorkloadError("nm \(copy): \(nm.output)") }
            nmOutput = nm.output
        } catch {
            throw WorkloadError("preparing the probe (binutils' objcopy and nm): \(error)")
        }
        let names = nmOutput.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        var out: [String] = []
        for region in ["gateRegionBatch", "gateRegionSingle", "gateRegionReference"] {
            let found = names.filter { $0.contains(region) }
            guard found.count == 1 else { throw WorkloadError("\(found.count) symbols named like \(region) in \(copy): \(found)") }
            out.append(found[0])
        }
        return out
    }

    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func run(_ executable: String, _ args: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The child side: the regions in the order `Instructions.measure` reads the dumps.
enum Probe {
    static func run(set: String, rules: Int) {
        let g = GateWorkload(set: set, rules: rules)
        let engine = ReferenceRun(g)
        var out = [UInt32](repeating: 0, count: g.keys.count)
        out.withUnsafeMutableBufferPointer { o in
            g.runChecked(count: g.keys.count, o, single: false)
            g.runRegion(count: g.keys.count, o, single: false)
            g.runChecked(count: g.keys.count, o, single: true)
            g.runRegion(count: g.keys.count, o, single: true)
        }
        engine.run(count: 1)
        engine.run(count: g.referenceCount)
        print("gate-probe: batch=\(g.keys.count) single=\(g.keys.count) reference=\(g.referenceCount)")
    }
}
