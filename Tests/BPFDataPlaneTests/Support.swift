// Fixtures for the kernel-vs-Swift tests: a compiled table with its Swift classifier (the oracle)
// and the packet keys to ask both, from conformance cases, examples and ClassBench sets (the same
// fixtures as BPFImageTests), and a frame for each key.

import Addresses
import BPFImage
import BPFLoader
import CVerdictABI
import ClassBench
import Classifier
import Foundation
import MatchTable
import Packets
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import TestFixtures
import Testing

/// Why the kernel suites do not run here, for the skip message.
let bpfUnavailable = "BPF unavailable: \(BPFCapabilities.current.reason ?? "")"

extension Fixture {
    /// The first `headers` headers of a ClassBench 1K set's trace, addressed to the subject pod
    /// (DECISIONS 21: a header is a packet arriving at the pod).
    static func classBench(_ set: String, headers: Int) throws -> Fixture {
        let rules = try ClassBenchRuleFile.load(path: Paths.classBench.appendingPathComponent("\(set).rules").path)
        let trace = try ClassBenchTrace.read(path: Paths.classBench.appendingPathComponent("\(set).trace.gz").path, limit: headers)
        let policy = try ClassBenchPolicy(rules: rules, file: set)
        let table = try PolicyCompiler.compile(policy.policySet)
        let subject = IPAddress(ClassBench.podAddress)!
        // ClassBench headers carry no ICMP type; a frame needs one, so ICMP headers become echo
        // requests (no ClassBench rule restricts ICMP types: the answer is the same).
        let keys = (0..<trace.count).map { i in
            let p = policy.packet(trace, i)
            let echo = p.protocolNumber == 1 && p.icmpType == nil
            return PacketKey(source: p.source, destination: subject, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                             destinationPort: p.destinationPort, icmpType: echo ? 8 : p.icmpType, icmpCode: echo ? 0 : p.icmpCode)
        }
        return Fixture(name: "classbench/\(set)", table: table, keys: keys)
    }
}


enum Frames {
    static func hasPorts(_ p: UInt8) -> Bool { [6, 17, 132, 136].contains(p) }

    /// A key a frame can carry: a port protocol with one port missing gets the other (a packet
    /// has both or neither); ICMP without a type has no frame (nil).
    static func representable(_ k0: PacketKey) -> PacketKey? {
        var k = k0
        if hasPorts(k.protocolNumber) && k.sourcePortKey == VD_NO_PORT && k.destinationPortKey != VD_NO_PORT { k.sourcePortKey = 40000 }
        if hasPorts(k.protocolNumber) && k.destinationPortKey == VD_NO_PORT && k.sourcePortKey != VD_NO_PORT { k.destinationPortKey = 40001 }
        if (k.protocolNumber == 1 || k.protocolNumber == 58) && k.icmpTypeCode == VD_NONE { return nil }
        return k
    }

    /// An Ethernet frame whose parse gives `k` (a port protocol without ports is a non-first fragment).
    static func frame(_ k: PacketKey, id: UInt16) -> [UInt8] {
        let nonFirst = hasPorts(k.protocolNumber) && k.sourcePortKey == VD_NO_PORT
        let sp = UInt16(truncatingIfNeeded: k.sourcePortKey), dp = UInt16(truncatingIfNeeded: k.destinationPortKey)
        let t: PacketBuilder.Transport
        switch k.protocolNumber {
        case _ where nonFirst: t = .other(protocol: k.protocolNumber, bytes: [UInt8](repeating: 0, count: 16))
        case 6: t = .tcp(src: sp, dst: dp, flags: .syn)
        case 17: t = .udp(src: sp, dst: dp)
        case 132: t = .sctp(src: sp, dst: dp)
        case 136: t = .other(protocol: 136, bytes: [UInt8(sp >> 8), UInt8(sp & 255), UInt8(dp >> 8), UInt8(dp & 255), 0, 8, 0, 0])
        case 1 where k.icmpTypeCode != VD_NONE, 58 where k.icmpTypeCode != VD_NONE:
            t = .icmp(type: UInt8(k.icmpTypeCode >> 8), code: UInt8(k.icmpTypeCode & 255))
        default: t = .other(protocol: k.protocolNumber, bytes: [UInt8](repeating: 0, count: 8))
        }
        let net: PacketBuilder.Network
        if k.source.family == .v4 {
            net = .ipv4(.init(src: k.source, dst: k.destination, identification: id, fragmentOffset: nonFirst ? 10 : 0))
        } else {
            net = .ipv6(.init(src: k.source, dst: k.destination,
                              extensionHeaders: nonFirst ? [.fragment(offset: 10, moreFragments: false, identification: UInt32(id))] : []))
        }
        return PacketBuilder(network: net, transport: t).frame()
    }
}
