// The pieces every capture scenario is written with: hosts with the endpoint they stand for, the
// expected result of each packet (written by hand, with its reason, next to the packet), and a
// capture that turns its packets into pcap/pcapng bytes plus the expected-verdicts file.
//
// Nothing here reads a clock or a random source: the same scenario gives the same bytes.

import Addresses
import Packets
import PcapIO

/// The stateless or data-plane answer for one packet.
enum Verdict: String, Sendable {
    case allow, deny
}

/// What policy alone says about a packet treated as the first packet of a new connection, and why
/// (the reason is documentation for the reader of the generator; it is not written out).
struct Policy: Sendable {
    var verdict: Verdict
    var why: String
}

func allow(_ why: String) -> Policy { Policy(verdict: .allow, why: why) }
func deny(_ why: String) -> Policy { Policy(verdict: .deny, why: why) }

/// The expected line of one packet (docs/DECISIONS.md, "captures"):
/// `{"packet": N, "verdict": …, "conntrack": …, "policyVerdict": …}`, or for a packet that cannot be
/// classified `{"packet": N, "verdict": "unparsed", "reason": …}`.
enum Expectation: Sendable, Equatable {
    /// Policy decides: the first packet of a flow, or any packet of a flow that was denied.
    case new(Verdict)
    /// Part of a flow an allowed packet created (either direction): allowed whatever policy says.
    case established(policy: Verdict)
    /// An ICMP error quoting a tracked flow: allowed whatever policy says.
    case related(policy: Verdict)
    /// No valid conntrack state (ICMP error or echo reply without a flow; TCP RST, FIN, SYN-ACK or
    /// no-flag packet without a flow; a TCP flow whose entry timed out): dropped before policy.
    case invalid(policy: Verdict)
    /// A non-first fragment whose first fragment was seen: it takes that fragment's verdict.
    case fragment(Verdict, policy: Verdict)
    /// Not classifiable; `reason` is replay's reason (`truncated-l4`, or the parser's outcome).
    case unparsed(reason: String)

    var verdict: String {
        switch self {
        case let .new(v): return v.rawValue
        case .established, .related: return "allow"
        case .invalid: return "deny"
        case let .fragment(v, _): return v.rawValue
        case .unparsed: return "unparsed"
        }
    }

    var conntrack: String? {
        switch self {
        case .new: return "new"
        case .established: return "established"
        case .related: return "related"
        case .invalid: return "invalid"
        case .fragment: return "fragment"
        case .unparsed: return nil
        }
    }

    var policyVerdict: Verdict? {
        switch self {
        case let .new(v): return v
        case let .established(p), let .related(p), let .invalid(p), let .fragment(_, p): return p
        case .unparsed: return nil
        }
    }

    /// The JSON object for packet `n`, keys in a fixed order.
    func jsonLine(packet n: Int) -> String {
        var fields = ["\"packet\": \(n)", "\"verdict\": \"\(verdict)\""]
        if let c = conntrack { fields.append("\"conntrack\": \"\(c)\"") }
        if let p = policyVerdict { fields.append("\"policyVerdict\": \"\(p.rawValue)\"") }
        if case let .unparsed(reason) = self { fields.append("\"reason\": \"\(reason)\"") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// One address and the endpoint it stands for in the capture's policy set (`ns/name`,
/// `hostendpoint:NAME`), or nil for an address no endpoint owns. The test suite checks the names
/// against the policy set, so a wrong address cannot silently change a scenario.
struct Host: Sendable, Hashable, CustomStringConvertible {
    var ip: String
    var endpoint: String?

    init(_ ip: String, _ endpoint: String?) {
        precondition(IPAddress(ip) != nil, "bad address \(ip)")
        self.ip = ip
        self.endpoint = endpoint
    }

    var isV6: Bool { ip.contains(":") }
    var address: IPAddress { IPAddress(ip)! }
    var description: String { endpoint ?? ip }
}

/// One packet of a capture with its expectation and the reason for it.
struct CapturedPacket: Sendable {
    var frame: [UInt8]
    /// On-the-wire length when the frame is cut (snapshot length); nil when complete.
    var originalLength: Int?
    var interface: Int
    var nanoseconds: Int64
    var expectation: Expectation
    var why: String
}

/// The base of every capture's clock: 2023-11-14T22:13:20Z.
let captureEpoch: Int64 = 1_700_000_000

/// A capture being written: its packets in order, on a clock that advances 1 ms per packet unless
/// told otherwise.
final class Capture {
    enum Format {
        /// Classic pcap with one link type and snapshot length.
        case pcap(LinkType, snaplen: UInt32)
        /// pcapng; each interface's description block is written just before packet
        /// `beforePacket` (0-based), so an interface may appear in the middle of the file.
        case pcapng([Interface])
    }

    struct Interface {
        var linkType: LinkType
        var name: String
        var beforePacket: Int = 0
    }

    /// The manifest's `expectError`: replay must fail with this exit code and message fragment.
    struct ExpectedError {
        var exitCode: Int
        var message: String
    }

    let name: String
    let format: Format
    let policies: [String]
    let summary: String
    /// How the frames of this capture start (the flow helpers use it unless told otherwise).
    var link: PacketBuilder.Link
    var expectError: ExpectedError?
    /// Pad Ethernet frames to 60 bytes as a NIC would.
    var padEthernet = true
    private(set) var packets: [CapturedPacket] = []
    private(set) var hosts: Set<Host> = []
    private var clock: Int64 = 0

    init(_ name: String, format: Format, link: PacketBuilder.Link, policies: [String], summary: String) {
        self.name = name
        self.format = format
        self.link = link
        self.policies = policies
        self.summary = summary
    }

    var fileName: String {
        switch format {
        case .pcap: return "\(name).pcap"
        case .pcapng: return "\(name).pcapng"
        }
    }

    var expectedFileName: String { "\(name).expected.jsonl" }

    var snaplen: UInt32 {
        switch format {
        case let .pcap(_, s): return s
        case .pcapng: return 262_144
        }
    }

    // MARK: Clock

    /// Lets `seconds` pass before the next packet (on top of its own 1 ms step).
    func wait(seconds: Double) {
        clock += Int64((seconds * 1e9).rounded())
    }

    // MARK: Adding packets

    /// Appends a packet built from `builder`, padded to the Ethernet minimum when ``padEthernet``.
    /// `hosts` are recorded for the test that checks them against the policy set.
    func add(_ builder: PacketBuilder, _ expectation: Expectation, _ why: String, interface: Int = 0,
             hosts: [Host] = []) {
        var b = builder
        b.padToEthernetMinimum = padEthernet
        addFrame(b.frame(), expectation, why, interface: interface, hosts: hosts)
    }

    /// Appends raw frame bytes.
    func addFrame(_ frame: [UInt8], _ expectation: Expectation, _ why: String, interface: Int = 0, hosts: [Host] = []) {
        clock += 1_000_000
        var stored = frame
        var original: Int?
        if frame.count > Int(snaplen) {
            stored = Array(frame.prefix(Int(snaplen)))
            original = frame.count
        }
        for h in hosts { self.hosts.insert(h) }
        packets.append(CapturedPacket(frame: stored, originalLength: original, interface: interface,
                                      nanoseconds: clock, expectation: expectation, why: why))
    }

    // MARK: Output

    /// The capture file's bytes.
    func fileBytes() -> [UInt8] {
        switch format {
        case let .pcap(linkType, snaplen):
            var w = DeterministicPcapWriter(linkType: linkType, snaplen: snaplen)
            for p in packets {
                let (s, ns) = Capture.split(p.nanoseconds)
                w.append(p.frame, seconds: s, nanoseconds: ns, originalLength: p.originalLength)
            }
            return w.bytes
        case let .pcapng(interfaces):
            var w = PcapngWriter()
            for (i, p) in packets.enumerated() {
                for interface in interfaces where interface.beforePacket == i {
                    w.addInterface(linkType: interface.linkType, name: interface.name)
                }
                let (s, ns) = Capture.split(p.nanoseconds)
                w.append(p.frame, interface: p.interface, seconds: s, nanoseconds: ns, originalLength: p.originalLength)
            }
            for interface in interfaces where interface.beforePacket >= packets.count {
                w.addInterface(linkType: interface.linkType, name: interface.name)
            }
            return w.bytes
        }
    }

    /// Packets a reader delivers before an interface of a different link type stops it: the
    /// expected file covers only these (libpcap reads one link type per file).
    var readablePacketCount: Int {
        guard case let .pcapng(interfaces) = format, let first = interfaces.first else { return packets.count }
        let breaking = interfaces.filter { $0.linkType != first.linkType }.map(\.beforePacket).min()
        return min(breaking ?? packets.count, packets.count)
    }

    /// The expected-verdicts file: one line per readable packet, numbered from 1.
    func expectedJSONL() -> String {
        packets.prefix(readablePacketCount).enumerated().map { i, p in p.expectation.jsonLine(packet: i + 1) + "\n" }.joined()
    }

    /// A human-readable listing: number, expected line, reason.
    func listing() -> String {
        var out = "# \(fileName): \(summary)\n"
        for (i, p) in packets.enumerated() {
            let readable = i < readablePacketCount
            out += "\(i + 1)\t\(readable ? p.expectation.jsonLine(packet: i + 1) : "(not delivered: replay stops before it)")\t\(p.why)\n"
        }
        return out
    }

    private static func split(_ offset: Int64) -> (UInt32, UInt32) {
        let total = captureEpoch * 1_000_000_000 + offset
        return (UInt32(total / 1_000_000_000), UInt32(total % 1_000_000_000))
    }
}
