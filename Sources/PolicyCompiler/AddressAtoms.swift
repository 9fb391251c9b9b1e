// The address space cut into atoms: maximal intervals inside which no CIDR, endpoint address or
// network set begins or ends. Every address predicate of every rule is constant on an atom, so a
// predicate is a RangeList of atom indices. IPv4 atoms come first, then IPv6 atoms.

import Addresses

struct AddressAtoms {
    /// Sorted first addresses of the atoms of each family (the first is 0).
    let v4: [UInt32]
    let v6: [UInt128]

    var count: Int { v4.count + v6.count }
    var v4Atoms: RangeList { RangeList([0..<v4.count]) }
    var v6Atoms: RangeList { RangeList([v4.count..<count]) }

    func atoms(of family: IPFamily) -> RangeList { family == .v4 ? v4Atoms : v6Atoms }

    init(cidrs: [CIDR], addresses: [IPAddress]) {
        var b4: Set<UInt32> = [0]
        var b6: Set<UInt128> = [0]
        func add(_ c: CIDR) {
            let (lo, hi) = AddressAtoms.span(c)
            if c.family == .v4 {
                b4.insert(UInt32(lo))
                if hi < UInt128(UInt32.max) { b4.insert(UInt32(hi + 1)) }
            } else {
                b6.insert(lo)
                if hi < UInt128.max { b6.insert(hi + 1) }
            }
        }
        for c in cidrs { add(c) }
        for a in addresses { add(CIDR(address: a, prefixLength: a.family.bitWidth)) }
        v4 = b4.sorted()
        v6 = b6.sorted()
    }

    static func value(_ a: IPAddress) -> UInt128 {
        a.family == .v4 ? UInt128(a.v4) : (UInt128(a.high) << 64) | UInt128(a.low)
    }

    /// First and last address of a CIDR, as numbers.
    static func span(_ c: CIDR) -> (UInt128, UInt128) {
        let lo = value(c.address.masked(to: c.prefixLength))
        let hostBits = c.family.bitWidth - c.prefixLength
        let size: UInt128 = hostBits >= 128 ? UInt128.max : (UInt128(1) << UInt128(hostBits)) - 1
        return (lo, lo + size)
    }

    /// The atom holding an address.
    func atom(of a: IPAddress) -> Int {
        if a.family == .v4 { return AddressAtoms.lastIndex(in: v4, notAbove: a.v4) }
        return v4.count + AddressAtoms.lastIndex(in: v6, notAbove: AddressAtoms.value(a))
    }

    /// The atoms a CIDR covers, exactly (its ends are atom bounds).
    func atoms(of c: CIDR) -> RangeList {
        let (lo, hi) = AddressAtoms.span(c)
        if c.family == .v4 {
            let first = AddressAtoms.lastIndex(in: v4, notAbove: UInt32(lo))
            let last = AddressAtoms.lastIndex(in: v4, notAbove: UInt32(hi))
            return RangeList([first..<(last + 1)])
        }
        let first = AddressAtoms.lastIndex(in: v6, notAbove: lo)
        let last = AddressAtoms.lastIndex(in: v6, notAbove: hi)
        return RangeList([(v4.count + first)..<(v4.count + last + 1)])
    }

    func atoms(of cidrs: [CIDR]) -> RangeList {
        cidrs.reduce(RangeList.empty) { $0.union(atoms(of: $1)) }
    }

    static func lastIndex<T: Comparable>(in bounds: [T], notAbove v: T) -> Int {
        var lo = 0, hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bounds[mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }
}
