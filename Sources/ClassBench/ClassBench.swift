// ClassBench (Taylor and Turner, WUSTL) rule files and traces, and their mapping to one ordered
// Calico policy, so that `verdict bench classbench` can check every engine against the expected
// first-match index of each trace header and measure its speed (issue 4 item 5). Formats:
// Benchmarks/classbench/README.md (a copy of ../shared/classbench).
//
// ## The mapping (docs/DECISIONS.md, decision 15)
//
// One Namespace `classbench`, one Pod `classbench/subject` (label `role: classbench-subject`,
// address 192.0.2.1) and one GlobalNetworkPolicy `classbench-0000` in the default tier selecting
// it, with one ingress rule per ClassBench rule, in file order: first match wins, as in ClassBench.
// Calico allows at most 1024 rules per policy direction, so longer files continue in
// `classbench-0001`, `classbench-0002`, … with `order` 0, 1, 2, …: a packet no rule of a policy
// matches goes on to the next policy of the tier, so first-match order is kept across policies
// (a ClassBench rule's Calico rules always sit in one policy). A trace header is a packet
// arriving at that pod; the answer is the ClassBench index of the deciding rule, or -1 when the
// default tier's end-of-tier Deny decides.
//
// ClassBench rule i (0-based, line i + 1) becomes:
// - action `Allow` when i is even, `Deny` when odd (ClassBench rules carry no action);
// - `source.nets: [SA/len]` and `destination.nets: [DA/len]`, each omitted for /0;
// - `protocol: N` (numeric) for `0xNN/0xFF`, nothing for `0x00/0x00`;
// - `source.ports` / `destination.ports: ["lo:hi"]`, omitted for `0 : 65535`. Calico refuses port 0
//   in a rule, so a range `0 : hi` becomes `notPorts: ["hi+1:65535"]`, which matches 0…hi exactly;
// - the flags column is ignored, as the expected answers ignore it.
//
// Ports are where ClassBench and Calico differ. ClassBench compares every header's port fields,
// whatever its protocol; Calico allows ports only with protocol TCP, UDP or SCTP, and a packet of
// any other protocol has no ports for a rule to look at. So:
// - a rule with protocol "any" and a port range other than `0 : 65535` becomes three Calico rules
//   (TCP, UDP, SCTP) with the same ports, all answering with the same ClassBench index;
// - a rule with another exact protocol (ICMP, GRE, …) and such a port range becomes no Calico rule:
//   no packet of that protocol carries ports, so in Calico terms it can never match;
// - a trace header whose protocol is not TCP, UDP or SCTP and whose expected rule is one of these
//   two kinds is *unrepresentable*: its ClassBench answer depends on port fields a real packet of
//   that protocol does not have. It is classified but not compared, and is counted separately.
//   For every other header the mapped policy gives exactly the ClassBench answer (a portless
//   packet matches the other rules on addresses and protocol alone in both models).
// The three 1K sets in Benchmarks/classbench have no rule of either kind (every rule with protocol
// any, ICMP, GRE or ESP has both port ranges `0 : 65535`), so all their headers are compared.

import Addresses
import PolicyModel

/// Names used by the mapped policy set.
public enum ClassBench {
    public static let namespace = "classbench"
    public static let podName = "subject"
    public static let endpointID = "\(namespace)/\(podName)"
    public static let labelKey = "role"
    public static let labelValue = "classbench-subject"
    public static let podAddress = "192.0.2.1"
    /// ``podAddress`` as a number.
    public static let podIPv4: UInt32 = 0xC000_0201
    /// The policies' names start with this; see ``ClassBenchPolicy/policyName(_:)``.
    public static let policyName = "classbench"

    /// Protocols whose Calico rules may carry ports (Calico `SupportsPorts`).
    public static let portProtocols: [UInt8] = [6, 17, 132]

    @inline(__always)
    public static func isPortProtocol(_ p: UInt8) -> Bool { p == 6 || p == 17 || p == 132 }
}
