// No-locality traces for a ClassBench rule list, as ClassBench's trace_generator writes them with
// Pareto a=1, b=0: each header comes from a rule chosen uniformly, at a random corner of its ranges
// (every field the low or the high end: address prefix base or broadcast, port range ends,
// protocol 0 or 255 when any, flags value or all-ones past the mask). The expected answer of each
// header is ClassBench's definition, a linear first-match scan in rule order; it stops at the first
// match and never looks past the generating rule, which matches its own corner.

import ClassBench
import Dispatch

/// A generated rule set with its trace.
public struct ClassBenchWorkload: Sendable {
    public let profile: ClassBenchProfile
    public let seed: UInt64
    public let rules: [ClassBenchRule]
    /// Column 8 is the linear scan's first match.
    public let trace: ClassBenchTrace
    /// Columns 6 and 7: the flags corner and the rule each header was drawn from.
    public let flags: [UInt32]
    public let generatingRule: [Int32]

    /// `ruleCount` rules of `profile` and `packets` headers, all from `seed`.
    public init(profile: ClassBenchProfile, ruleCount: Int, packets: Int, seed: UInt64) {
        let rules = ClassBenchGenerator(profile: profile, seed: seed).rules(count: ruleCount)
        self.init(profile: profile, seed: seed, rules: rules, packets: packets)
    }

    /// A trace of `packets` headers for given rules.
    public init(profile: ClassBenchProfile, seed: UInt64, rules: [ClassBenchRule], packets: Int) {
        precondition(!rules.isEmpty && packets > 0)
        self.profile = profile
        self.seed = seed
        self.rules = rules
        var rng = WorkloadRandom(seed: seed, stream: "classbench-trace-\(profile.rawValue)")
        let boxes = rules.map(RuleBox.init)
        var s = [UInt32](), d = [UInt32](), sp = [UInt16](), dp = [UInt16](), p = [UInt8](), f = [UInt32](), g = [Int32]()
        s.reserveCapacity(packets); d.reserveCapacity(packets); sp.reserveCapacity(packets); dp.reserveCapacity(packets)
        p.reserveCapacity(packets); f.reserveCapacity(packets); g.reserveCapacity(packets)
        for _ in 0..<packets {
            let i = rng.below(rules.count)
            let b = boxes[i], r = rules[i]
            s.append(rng.bit() ? b.sourceHigh : b.sourceLow)
            d.append(rng.bit() ? b.destinationHigh : b.destinationLow)
            sp.append(rng.bit() ? b.sourcePortHigh : b.sourcePortLow)
            dp.append(rng.bit() ? b.destinationPortHigh : b.destinationPortLow)
            p.append(b.protocolNumber >= 0 ? UInt8(b.protocolNumber) : (rng.bit() ? 255 : 0))
            let fixed = UInt32(r.flags & r.flagsMask)
            f.append(rng.bit() ? fixed | ~UInt32(r.flagsMask) : fixed)
            g.append(Int32(i))
        }
        let expected = Self.firstMatches(boxes, s, d, sp, dp, p, limit: g)
        var trace = ClassBenchTrace(file: "<generated \(profile.rawValue) \(rules.count) rules, seed \(seed)>")
        for k in 0..<packets {
            trace.append(source: s[k], destination: d[k], sourcePort: sp[k], destinationPort: dp[k], protocolNumber: p[k], expected: expected[k])
        }
        self.trace = trace
        self.flags = f
        self.generatingRule = g
    }

    /// For each header, the index of the first rule (in order, at most `limit[k]`) that matches it,
    /// or -1. Split into contiguous slices over the cores: each slice writes only its own answers,
    /// so the result does not depend on the number of cores.
    static func firstMatches(_ rules: [RuleBox], _ s: [UInt32], _ d: [UInt32], _ sp: [UInt16], _ dp: [UInt16], _ p: [UInt8],
                             limit: [Int32]) -> [Int32] {
        let n = s.count
        var out = [Int32](repeating: -1, count: n)
        let slices = min(n, 64)
        out.withUnsafeMutableBufferPointer { o in
            let base = SendablePointer(o.baseAddress!)
            rules.withUnsafeBufferPointer { r in
                let rp = SendableRules(r)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let from = n * slice / slices, to = n * (slice + 1) / slices
                    for k in from..<to {
                        base.pointer[k] = firstMatch(rp.buffer, s[k], d[k], sp[k], dp[k], p[k], limit: Int(limit[k]))
                    }
                }
            }
        }
        return out
    }

    /// The linear scan, ClassBench's definition of the expected answer.
    @inline(__always)
    static func firstMatch(_ rules: UnsafeBufferPointer<RuleBox>, _ s: UInt32, _ d: UInt32, _ sp: UInt16, _ dp: UInt16, _ p: UInt8,
                           limit: Int) -> Int32 {
        var i = 0
        let end = min(limit, rules.count - 1)
        while i <= end {
            if rules[i].matches(s, d, sp, dp, p) { return Int32(i) }
            i += 1
        }
        return -1
    }

    /// The rules as a standard ClassBench `.rules` file (each line ends with the generator's tab).
    public var rulesText: String {
        var out = ""
        out.reserveCapacity(rules.count * 80)
        for r in rules { out += r.classBenchLine + "\t\n" }
        return out
    }

    /// The trace as ClassBench writes it plus column 8: `src dst sport dport proto flags rule expected`.
    public var traceText: String {
        var out = ""
        out.reserveCapacity(trace.count * 56)
        for k in 0..<trace.count {
            out += "\(trace.source[k])\t\(trace.destination[k])\t\(trace.sourcePort[k])\t\(trace.destinationPort[k])\t"
            out += "\(trace.protocolNumber[k])\t\(flags[k])\t\(generatingRule[k])\t\(trace.expected[k])\n"
        }
        return out
    }
}

/// Raw pointers handed to the slices of `concurrentPerform`, which write disjoint ranges.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ p: UnsafeMutablePointer<Int32>) { pointer = p }
}

struct SendableRules: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<RuleBox>
    init(_ b: UnsafeBufferPointer<RuleBox>) { buffer = b }
}
