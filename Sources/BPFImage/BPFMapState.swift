// What the kernel's table-derived maps hold, simulated in Swift: zero-filled arrays of
// max_entries (2 × capacity) and LPM tries keyed as the kernel keys them (prefixlen, then the key
// data as a bit string, bits past prefixlen ignored). Images are written into it as the loader
// writes them into the kernel, and BPFImageModel reads it as the BPF program reads the maps.

import CVerdictABI

/// The contents of vd_cfg, vd_gen and the table-derived maps.
public struct BPFMapState: @unchecked Sendable {
    public let capacity: BPFMapCapacity
    /// vd_cfg[0].
    public var config = vd_bpf_config(generation: 0, mode: VD_MODE_NODE.rawValue, endpoint: (VD_NONE, VD_NONE))
    /// vd_gen[0], vd_gen[1].
    public var generations = [vd_bpf_generation](repeating: vd_bpf_generation(), count: Int(VD_BPF_GENERATIONS))
    public var endpoints: [vd_endpoint]
    public var nodes: [vd_node]
    public var classes: [UInt32]
    public var rows: [UInt64]
    public var termRules: [UInt32]
    public var rules: [vd_bpf_rule]
    /// vd_ip4 and vd_ip6: (prefixlen, key data masked to prefixlen bits) → value.
    public var ip4: [LPMKey: vd_atom_ref] = [:]
    public var ip6: [LPMKey: vd_atom_ref] = [:]

    /// An LPM trie key as the kernel compares it: the key data (after `prefixlen`) as a big-endian
    /// bit string, of which only the first `prefixlen` bits count.
    public struct LPMKey: Hashable, Sendable {
        public var prefixlen: UInt32
        /// The first 4 bytes of the data (the generation word), big-endian.
        public var head: UInt32
        /// The next bytes (the address), big-endian, left-aligned in 128 bits.
        public var tail: UInt128

        /// Masks the data to `prefixlen` bits.
        public init(prefixlen: UInt32, head: UInt32, tail: UInt128) {
            self.prefixlen = prefixlen
            let p = Int(prefixlen)
            self.head = p >= 32 ? head : (p == 0 ? 0 : head & ~UInt32(0) << UInt32(32 - p))
            self.tail = p >= 160 ? tail : (p <= 32 ? 0 : tail & ~UInt128(0) << UInt128(160 - p))
        }

        /// A vd_lpm4_key as the kernel reads its bytes.
        public init(_ k: vd_lpm4_key) {
            var k = k
            let (head, addr) = withUnsafeBytes(of: &k) {
                (UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                 UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            }
            self.init(prefixlen: k.prefixlen, head: head, tail: UInt128(addr) << 96)
        }

        /// A vd_lpm6_key as the kernel reads its bytes.
        public init(_ k: vd_lpm6_key) {
            var k = k
            let (head, addr) = withUnsafeBytes(of: &k) {
                (UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                 UInt128(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt128.self)))
            }
            self.init(prefixlen: k.prefixlen, head: head, tail: addr)
        }
    }

    /// Empty maps (all zero, as the kernel creates them) of `capacity` per generation.
    public init(capacity: BPFMapCapacity) {
        self.capacity = capacity
        endpoints = [vd_endpoint](repeating: vd_endpoint(), count: Int(capacity.maxEntries(of: .endpoints)))
        nodes = [vd_node](repeating: vd_node(), count: Int(capacity.maxEntries(of: .nodes)))
        classes = [UInt32](repeating: 0, count: Int(capacity.maxEntries(of: .classes)))
        rows = [UInt64](repeating: 0, count: Int(capacity.maxEntries(of: .rows)))
        termRules = [UInt32](repeating: 0, count: Int(capacity.maxEntries(of: .termRules)))
        rules = [vd_bpf_rule](repeating: vd_bpf_rule(), count: Int(capacity.maxEntries(of: .rules)))
    }

    /// Writes `image` as the loader does: deletes every LPM key of the image's generation, then
    /// writes the LPM entries, the array runs and vd_gen[generation]. vd_cfg is left alone (see
    /// `BPFTableImage.configWrites`). Fails as the kernel would on an index past max_entries or a
    /// trie past max_entries.
    public mutating func write(_ image: BPFTableImage) throws(BPFImageError) {
        guard image.capacity == capacity else {
            // Bases come from the capacity: an image laid out for other maps lands in the wrong region.
            throw BPFImageError("the image was laid out for capacity \(image.capacity), the maps have \(capacity)")
        }
        let g = image.generation
        let genBE = g.bigEndian
        let head = UInt32(bigEndian: genBE)
        ip4 = ip4.filter { !($0.key.prefixlen >= 32 && $0.key.head == head) }
        ip6 = ip6.filter { !($0.key.prefixlen >= 32 && $0.key.head == head) }
        for (k, v) in zip(image.ip4Keys, image.ip4Values) {
            guard k.prefixlen <= 64 else { throw BPFImageError("vd_ip4: prefixlen \(k.prefixlen) is above 64") }
            ip4[LPMKey(k)] = v
            guard ip4.count <= Int(capacity.maxEntries(of: .ip4)) else { throw BPFImageError("vd_ip4 is full (\(capacity.maxEntries(of: .ip4)) entries)") }
        }
        for (k, v) in zip(image.ip6Keys, image.ip6Values) {
            guard k.prefixlen <= 160 else { throw BPFImageError("vd_ip6: prefixlen \(k.prefixlen) is above 160") }
            ip6[LPMKey(k)] = v
            guard ip6.count <= Int(capacity.maxEntries(of: .ip6)) else { throw BPFImageError("vd_ip6 is full (\(capacity.maxEntries(of: .ip6)) entries)") }
        }
        try Self.write(image.endpoints, into: &endpoints, map: .endpoints, generation: g, capacity: capacity)
        try Self.write(image.nodes, into: &nodes, map: .nodes, generation: g, capacity: capacity)
        try Self.write(image.classes, into: &classes, map: .classes, generation: g, capacity: capacity)
        try Self.write(image.rows, into: &rows, map: .rows, generation: g, capacity: capacity)
        try Self.write(image.termRules, into: &termRules, map: .termRules, generation: g, capacity: capacity)
        try Self.write(image.rules, into: &rules, map: .rules, generation: g, capacity: capacity)
        generations[Int(g)] = image.descriptor
    }

    /// Writes a run, refusing any index outside generation `generation`'s region.
    static func write<T>(_ run: BPFArrayRun<T>, into array: inout [T], map: BPFMap, generation: UInt32, capacity: BPFMapCapacity) throws(BPFImageError) {
        let region = capacity.base(of: map, generation: generation)..<capacity.base(of: map, generation: generation) + capacity[map]
        guard run.values.isEmpty || (region.contains(run.base) && UInt64(run.base) + UInt64(run.values.count) <= UInt64(region.upperBound)) else {
            throw BPFImageError("\(map.name): entries \(run.base)..<\(UInt64(run.base) + UInt64(run.values.count)) leave generation \(generation)'s region \(region)")
        }
        array.replaceSubrange(Int(run.base)..<Int(run.base) + run.values.count, with: run.values)
    }
}
