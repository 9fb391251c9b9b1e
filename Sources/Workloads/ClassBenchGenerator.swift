// ClassBench-shaped rule sets of any size from 10 to 100,000 rules, bootstrapped from a profile's
// committed 1K seed set (docs/DECISIONS.md 40). ClassBench's db_generator draws each field from
// the seed's distributions and nests new prefixes under existing ones; here every rule starts as a
// copy of a seed rule (its "template") and is then varied:
//
// - Each seed rule is the template of an equal share of the rules (stratified: N / seed size each,
//   the remainder to a random subset), so the prefix-length pairs, wildcards, protocols and port
//   classes appear in the seed's proportions at every size, and every seed shape appears once the
//   set is at least as large as the seed.
// - Each address keeps its prefix length; with probability 3/4 the last 1–8 bits of the prefix are
//   redrawn, so the new prefix nests under the template's shorter ancestors the way real sets'
//   prefixes share their top bits (a /32 stays in the template's /24, …).
// - An exact port is replaced, with probability 1/3, by another exact port the seed uses for that
//   field and protocol, and a true range by another true range: the port class is kept.
// - Protocol and flags are the template's.
// - Rules are ordered by their template's position in the seed (ClassBench files put specific
//   rules first and wildcards last, so this keeps the seed's priority structure), then by draw.
// - A variation that duplicates, or is fully covered by, one earlier rule is dropped, as
//   db_generator's redundancy filter does, but without its all-pairs scan (see RedundancyFilter),
//   and the template draws again. A template that runs out of distinct variations (a rule with
//   both addresses and all ports wildcard has one) hands the rest of its share to the others.

import Addresses
import ClassBench

public struct ClassBenchGenerator: Sendable {
    public let profile: ClassBenchProfile
    public let seed: UInt64

    /// The sizes the generator is meant for (it works below and above, but is tested on these).
    public static let supportedCounts = 10...100_000

    public init(profile: ClassBenchProfile, seed: UInt64) {
        self.profile = profile
        self.seed = seed
    }

    /// Probability that an address keeps the template's prefix unchanged.
    static let keepAddress = 0.25
    /// At most this many trailing prefix bits are redrawn.
    static let maxRedrawnBits = 8
    /// Probability that an exact port or a true range is replaced by another of the same class.
    static let replacePort = 1.0 / 3.0

    /// `count` rules (exactly, unless the profile cannot make that many distinct rules, which does
    /// not happen up to 100,000), with `line` = index + 1.
    public func rules(count: Int) -> [ClassBenchRule] {
        precondition(count > 0, "rules(count: \(count))")
        let seedRules = profile.seedRules
        let pools = PortPools(seedRules)
        // Each template's share: `count` stratified draws (whole passes, then part of a permutation).
        var quota = [Int](repeating: count / seedRules.count, count: seedRules.count)
        var order = Array(seedRules.indices)
        var rng = WorkloadRandom(seed: seed, stream: "classbench-quota-\(profile.rawValue)")
        rng.shuffle(&order)
        for t in order.prefix(count % seedRules.count) { quota[t] += 1 }
        var out: [ClassBenchRule] = []
        for _ in 0..<8 {
            let (rules, exhausted) = pass(seedRules, quota: quota, pools: pools)
            out = rules
            let missing = count - rules.count
            if missing <= 0 { break }
            // Templates that could not make their share (too few distinct variations) hand the rest
            // to the others, again stratified, and the pass is redone: its draws repeat exactly.
            var open = seedRules.indices.filter { !exhausted.contains($0) }
            if open.isEmpty { break }
            rng.shuffle(&open)
            for k in 0..<missing { quota[open[k % open.count]] += 1 }
        }
        for i in out.indices { out[i].line = i + 1 }
        return out
    }

    /// The templates in seed order, each varied until it has `quota[t]` rules that no earlier rule
    /// covers, or until it has had 8 × its quota + 16 attempts (then it is exhausted). Each template
    /// draws from its own stream, so redoing a pass with other quotas repeats its first draws.
    func pass(_ seedRules: [ClassBenchRule], quota: [Int], pools: PortPools) -> (rules: [ClassBenchRule], exhausted: Set<Int>) {
        var filter = RedundancyFilter()
        var out: [ClassBenchRule] = []
        var exhausted: Set<Int> = []
        for (t, template) in seedRules.enumerated() where quota[t] > 0 {
            var rng = WorkloadRandom(seed: seed, stream: "classbench-rules-\(profile.rawValue)-\(t)")
            var made = 0, attempts = 0
            while made < quota[t] {
                if attempts == quota[t] * 8 + 16 {
                    exhausted.insert(t)
                    break
                }
                attempts += 1
                let r = vary(template, pools: pools, rng: &rng)
                if filter.insertUnlessCovered(RuleBox(r)) {
                    out.append(r)
                    made += 1
                }
            }
        }
        return (out, exhausted)
    }

    func vary(_ t: ClassBenchRule, pools: PortPools, rng: inout WorkloadRandom) -> ClassBenchRule {
        var r = t
        r.source = Self.vary(t.source, rng: &rng)
        r.destination = Self.vary(t.destination, rng: &rng)
        r.sourcePorts = pools.vary(t.sourcePorts, field: 0, protocolNumber: t.protocolNumber, rng: &rng)
        r.destinationPorts = pools.vary(t.destinationPorts, field: 1, protocolNumber: t.protocolNumber, rng: &rng)
        return r
    }

    /// The prefix with its last 1–8 bits redrawn (probability 3/4), at the same length.
    static func vary(_ p: CIDR, rng: inout WorkloadRandom) -> CIDR {
        let length = p.prefixLength
        guard length > 0, !rng.chance(keepAddress) else { return p }
        let v4 = p.address.v4
        let k = rng.int(in: 1...min(length, maxRedrawnBits))
        let shift = UInt32(32 - length)
        let field = (UInt32.max >> UInt32(32 - k)) << shift
        let bits = (rng.uint32() << shift) & field
        return CIDR(address: IPAddress(v4: (v4 & ~field) | bits), prefixLength: length)
    }
}

/// The exact ports and true ranges the seed uses, per field and protocol, with their multiplicity.
struct PortPools: Sendable {
    private var exact: [Key: [UInt16]] = [:]
    private var ranges: [Key: [ClosedRange<UInt16>]] = [:]

    struct Key: Hashable {
        var field: Int
        var protocolNumber: Int
    }

    init(_ rules: [ClassBenchRule]) {
        for r in rules {
            for (field, range) in [r.sourcePorts, r.destinationPorts].enumerated() {
                let key = Key(field: field, protocolNumber: r.protocolNumber.map(Int.init) ?? -1)
                if range.lowerBound == range.upperBound {
                    exact[key, default: []].append(range.lowerBound)
                } else if range != ClassBenchRule.allPorts {
                    ranges[key, default: []].append(range)
                }
            }
        }
    }

    func vary(_ range: ClosedRange<UInt16>, field: Int, protocolNumber: UInt8?, rng: inout WorkloadRandom) -> ClosedRange<UInt16> {
        if range == ClassBenchRule.allPorts || !rng.chance(ClassBenchGenerator.replacePort) { return range }
        let key = Key(field: field, protocolNumber: protocolNumber.map(Int.init) ?? -1)
        if range.lowerBound == range.upperBound {
            guard let pool = exact[key] else { return range }
            let p = rng.pick(pool)
            return p...p
        }
        guard let pool = ranges[key] else { return range }
        return rng.pick(pool)
    }
}

/// Keeps rules that no earlier kept rule covers entirely (exact duplicates included). A covering
/// rule's prefixes are ancestors of the new rule's, so only the buckets of (source prefix,
/// destination prefix) at the length pairs kept so far are searched.
struct RedundancyFilter {
    private var boxes: [RuleBox] = []
    private var pairSlot: [Int: Int] = [:]
    private var pairs: [(source: Int, destination: Int)] = []
    /// Per length pair: kept rules by (masked source, masked destination).
    private var buckets: [[UInt64: [Int32]]] = []

    /// Inserts `b` and returns true, or returns false when a kept rule covers it.
    mutating func insertUnlessCovered(_ b: RuleBox) -> Bool {
        for (slot, pair) in pairs.enumerated() where pair.source <= b.sourceLength && pair.destination <= b.destinationLength {
            let key = UInt64(RuleBox.mask(b.sourceLow, pair.source)) << 32 | UInt64(RuleBox.mask(b.destinationLow, pair.destination))
            guard let list = buckets[slot][key] else { continue }
            for i in list where boxes[Int(i)].covers(b) { return false }
        }
        let pairKey = b.sourceLength * 64 + b.destinationLength
        let slot: Int
        if let s = pairSlot[pairKey] {
            slot = s
        } else {
            slot = pairs.count
            pairSlot[pairKey] = slot
            pairs.append((b.sourceLength, b.destinationLength))
            buckets.append([:])
        }
        buckets[slot][UInt64(b.sourceLow) << 32 | UInt64(b.destinationLow), default: []].append(Int32(boxes.count))
        boxes.append(b)
        return true
    }
}

/// A rule as inclusive ranges: what both the redundancy filter and the first-match scan compare.
struct RuleBox: Sendable {
    var sourceLow: UInt32, sourceHigh: UInt32
    var destinationLow: UInt32, destinationHigh: UInt32
    var sourcePortLow: UInt16, sourcePortHigh: UInt16
    var destinationPortLow: UInt16, destinationPortHigh: UInt16
    /// 0…255, or -1 for any.
    var protocolNumber: Int16
    var sourceLength: Int, destinationLength: Int

    init(_ r: ClassBenchRule) {
        (sourceLow, sourceHigh) = Self.bounds(r.source)
        (destinationLow, destinationHigh) = Self.bounds(r.destination)
        sourcePortLow = r.sourcePorts.lowerBound
        sourcePortHigh = r.sourcePorts.upperBound
        destinationPortLow = r.destinationPorts.lowerBound
        destinationPortHigh = r.destinationPorts.upperBound
        protocolNumber = r.protocolNumber.map(Int16.init) ?? -1
        sourceLength = r.source.prefixLength
        destinationLength = r.destination.prefixLength
    }

    static func bounds(_ p: CIDR) -> (UInt32, UInt32) {
        let low = mask(p.address.v4, p.prefixLength)
        return (low, low | ~netmask(p.prefixLength))
    }

    static func netmask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }
    static func mask(_ a: UInt32, _ length: Int) -> UInt32 { a & netmask(length) }

    /// Every header `other` matches, this matches too.
    func covers(_ o: RuleBox) -> Bool {
        sourceLow <= o.sourceLow && o.sourceHigh <= sourceHigh && destinationLow <= o.destinationLow && o.destinationHigh <= destinationHigh
            && sourcePortLow <= o.sourcePortLow && o.sourcePortHigh <= sourcePortHigh
            && destinationPortLow <= o.destinationPortLow && o.destinationPortHigh <= destinationPortHigh
            && (protocolNumber < 0 || protocolNumber == o.protocolNumber)
    }

    /// ClassBench's match on the 5-tuple (the flags are ignored, as the expected answers ignore them).
    @inline(__always)
    func matches(_ s: UInt32, _ d: UInt32, _ sp: UInt16, _ dp: UInt16, _ p: UInt8) -> Bool {
        sourceLow <= s && s <= sourceHigh && destinationLow <= d && d <= destinationHigh
            && sourcePortLow <= sp && sp <= sourcePortHigh && destinationPortLow <= dp && dp <= destinationPortHigh
            && (protocolNumber < 0 || protocolNumber == Int16(p))
    }
}
