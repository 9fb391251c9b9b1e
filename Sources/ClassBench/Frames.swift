// Trace headers as Ethernet frames, for engines that take frames (the kernel's test runs) and for
// captures of a trace (end-to-end replay benchmarks).

import Addresses
import Packets
import PcapIO

public enum ClassBenchFrames {
    /// A header as an Ethernet II / IPv4 frame: TCP SYN, UDP, SCTP INIT, ICMP echo request
    /// (ClassBench headers carry no ICMP type), or the protocol number over 8 zero bytes.
    public static func frame(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16?, destinationPort: UInt16?,
                             id: UInt16) -> [UInt8] {
        frame(source: source, destination: destination, protocolNumber: protocolNumber, sourcePort: sourcePort,
              destinationPort: destinationPort, id: id, tcpFlags: .syn, icmpType: 8)
    }

    /// ``frame(source:destination:protocolNumber:sourcePort:destinationPort:id:)`` with the TCP
    /// flags and ICMP type given (later packets of a flow: SYN-ACK, ACK, echo reply).
    public static func frame(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16?, destinationPort: UInt16?,
                             id: UInt16, tcpFlags: TCPFlags, icmpType: UInt8) -> [UInt8] {
        let sp = sourcePort ?? 0, dp = destinationPort ?? 0
        let ports = sourcePort != nil
        let t: PacketBuilder.Transport
        switch protocolNumber {
        case 6 where ports: t = .tcp(src: sp, dst: dp, flags: tcpFlags)
        case 17 where ports: t = .udp(src: sp, dst: dp)
        case 132 where ports: t = .sctp(src: sp, dst: dp)
        case 136 where ports: t = .other(protocol: 136, bytes: [UInt8(sp >> 8), UInt8(sp & 255), UInt8(dp >> 8), UInt8(dp & 255), 0, 8, 0, 0])
        case 1: t = .icmp(type: icmpType, code: 0)
        default: t = .other(protocol: protocolNumber, bytes: [UInt8](repeating: 0, count: 8))
        }
        return PacketBuilder(network: .ipv4(.init(src: source, dst: destination, identification: id)), transport: t).frame()
    }

    /// Packet `k` (from 0) of a flow made of one trace header, for captures with several packets
    /// per flow: whether it travels in the reply direction (pod → header's source), and its TCP
    /// flags and ICMP type. TCP: SYN, SYN-ACK, then ACKs alternating direction; ICMP: echo
    /// request, echo reply, alternating; anything else alternates direction.
    public struct FlowPacket: Sendable, Equatable {
        public var isReply: Bool
        public var tcpFlags: TCPFlags
        public var icmpType: UInt8

        public init(_ k: Int) {
            isReply = k % 2 == 1
            tcpFlags = k == 0 ? .syn : k == 1 ? [.syn, .ack] : .ack
            icmpType = isReply ? 0 : 8
        }
    }

    /// Every header of `trace` as a frame addressed to the subject pod (192.0.2.1), keeping the
    /// header's source address, ports and protocol: a capture whose every packet goes through
    /// the pod's ingress chain, that is through all the mapped rules, when replayed against
    /// ``ClassBenchPolicy/policySet``. The destination address is the pod's, not the header's
    /// (replay finds the policing points from the addresses), so the deciding rule is the first
    /// whose destination net holds the pod, not the trace's column 8.
    public static func replayFrames(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace) -> [[UInt8]] {
        let pod = IPAddress(v4: ClassBench.podIPv4)
        return (0..<trace.count).map { i in
            let p = policy.packet(trace, i)
            return frame(source: p.source, destination: pod, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                         destinationPort: p.destinationPort, id: UInt16(truncatingIfNeeded: i))
        }
    }

    /// ``replayFrames(_:_:)`` as a classic pcap file's bytes, one packet per microsecond from
    /// 2026-01-01 00:00:00 UTC, so that no conntrack entry expires during the capture.
    public static func replayCapture(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace) -> [UInt8] {
        replayCapture(policy, trace, packetsPerFlow: 1)
    }

    /// ``replayCapture(_:_:)`` with each header as `packetsPerFlow` consecutive packets of one
    /// flow (``FlowPacket``): packet `i * packetsPerFlow + k` is packet `k` of header `i`'s flow.
    /// With 1, every packet is its header's first (SYN, echo request), as in the one-argument form.
    public static func replayCapture(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace, packetsPerFlow: Int) -> [UInt8] {
        precondition(packetsPerFlow >= 1, "packetsPerFlow must be at least 1")
        var pcap = DeterministicPcapWriter(linkType: .ethernet)
        let start: UInt32 = 1_767_225_600
        let pod = IPAddress(v4: ClassBench.podIPv4)
        var n = 0
        for i in 0..<trace.count {
            let p = policy.packet(trace, i)
            for k in 0..<packetsPerFlow {
                let f = FlowPacket(k)
                let frame = f.isReply
                    ? frame(source: pod, destination: p.source, protocolNumber: p.protocolNumber, sourcePort: p.destinationPort,
                            destinationPort: p.sourcePort, id: UInt16(truncatingIfNeeded: n), tcpFlags: f.tcpFlags, icmpType: f.icmpType)
                    : frame(source: p.source, destination: pod, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                            destinationPort: p.destinationPort, id: UInt16(truncatingIfNeeded: n), tcpFlags: f.tcpFlags, icmpType: f.icmpType)
                pcap.append(frame, seconds: start + UInt32(n / 1_000_000), nanoseconds: UInt32(n % 1_000_000) * 1000)
                n += 1
            }
        }
        return pcap.bytes
    }
}
