// Traffic for a generated cluster, with flow locality, and its expected answers from the reference
// evaluator (docs/DECISIONS.md 41). Flows are drawn from the cluster's structure: frontends to
// backends, backends to databases, caches and partner APIs, DNS, Prometheus scrapes, the internet
// to frontends, customers and partners to firewall ports, threat-feed addresses, pings, and random
// pod-to-pod probes that policy mostly denies. Packets pick flows by Zipf's law (a few flows carry
// most packets, about `packetsPerFlow` per flow on average), so consecutive packets repeat
// 5-tuples as real traffic does. Every packet is a first packet's 5-tuple: the expected answer is
// the stateless policy verdict with the deciding rule or default at each policing point, as
// `verdict check` and the policy column of `verdict replay` give it. The reference evaluator runs
// once per distinct flow (all packets of a flow have the same 5-tuple and so the same answer).

import Addresses
import PolicyModel
import ReferenceEvaluator

/// The expected answer for one flow: the verdict and, per policing point in path order, the
/// decision in the compact form `Classifier`'s `PointDescription.decision` also gives.
public struct KubernetesExpectation: Hashable, Sendable {
    public var allow: Bool
    public var decisions: [String]

    public init(allow: Bool, decisions: [String]) {
        self.allow = allow
        self.decisions = decisions
    }

    public init(_ v: ConnectionVerdict) {
        allow = v.verdict == .allow
        decisions = v.points.map { Self.text($0.decision) }
    }

    /// `rule <tier>/<policy>#<i> <action>`, `endOfTier <tier>`, `profile <name>#<i> <action>`, …
    public static func text(_ d: Decision) -> String {
        switch d {
        case let .rule(tier, policy, _, i, action): "rule \(tier)/\(policy)#\(i) \(action.rawValue.lowercased())"
        case let .endOfTier(tier): "endOfTier \(tier)"
        case let .profileRule(p, i, action): "profile \(p)#\(i) \(action.rawValue.lowercased())"
        case .noProfileMatched: "noProfileMatched"
        case .failsafe: "failsafe"
        case .forwardedWithoutPolicy: "forwardedWithoutPolicy"
        case .hostToLocalWorkload: "hostToLocalWorkload"
        case let .endpointToHost(action): "endpointToHost \(action)"
        }
    }
}

/// A generated cluster loaded and resolved, with traffic and expected answers.
public struct KubernetesWorkload: Sendable {
    public let cluster: KubernetesCluster
    public let policySet: PolicySet
    /// Distinct flows (first-packet 5-tuples) and their expected answers.
    public let flows: [Packet]
    public let expectations: [KubernetesExpectation]
    /// Per packet, its flow.
    public let packetFlow: [Int32]
    /// Seconds spent loading the YAML, and resolving it.
    public let loadSeconds: Double
    public let resolveSeconds: Double

    public var packetCount: Int { packetFlow.count }
    public var allowedFlows: Int { expectations.lazy.filter(\.allow).count }

    /// Average packets per flow of the Zipf draw.
    public static let packetsPerFlow = 8

    /// Generates the cluster for `targetRules`, loads it as `verdict` would, and draws `packets`
    /// packets. Throws only if the generated YAML fails validation (a generator bug, reported with
    /// the loader's located message).
    public init(targetRules: Int, packets: Int, seed: UInt64) throws(InputError) {
        precondition(packets > 0)
        let cluster = KubernetesPolicyGenerator(seed: seed).cluster(targetRules: targetRules)
        let clock = ContinuousClock()
        var t = clock.now
        let loaded = try ResourceLoader.load(text: cluster.yaml, file: "<generated k8s \(targetRules) rules, seed \(seed)>")
        loadSeconds = (clock.now - t).workloadSeconds
        t = clock.now
        let set = try PolicySet.resolve(loaded)
        resolveSeconds = (clock.now - t).workloadSeconds
        self.cluster = cluster
        self.policySet = set

        var rng = WorkloadRandom(seed: seed, stream: "k8s-traffic")
        let flowCount = max(1, packets / Self.packetsPerFlow)
        var flows: [Packet] = []
        var seen: [Packet: Int] = [:]
        var flowOfDraw: [Int] = []
        for _ in 0..<flowCount {
            let p = Self.flow(cluster, &rng)
            if let i = seen[p] {
                flowOfDraw.append(i)
            } else {
                seen[p] = flows.count
                flowOfDraw.append(flows.count)
                flows.append(p)
            }
        }
        // Popularity: a random rank per drawn flow, then packets by Zipf over the ranks.
        var rank = Array(0..<flowCount)
        rng.shuffle(&rank)
        let zipf = ZipfTable(count: flowCount)
        var packetFlow: [Int32] = []
        packetFlow.reserveCapacity(packets)
        for _ in 0..<packets { packetFlow.append(Int32(flowOfDraw[rank[zipf.draw(&rng)]])) }

        let evaluator = ReferenceEvaluator(set)
        self.expectations = flows.map { p in
            KubernetesExpectation(evaluator.evaluate(p, from: evaluator.party(for: p.source), to: evaluator.party(for: p.destination)))
        }
        self.flows = flows
        self.packetFlow = packetFlow
    }

    /// The 5-tuple of packet `i`.
    public func packet(_ i: Int) -> Packet { flows[Int(packetFlow[i])] }

    // MARK: Flows

    static func flow(_ c: KubernetesCluster, _ rng: inout WorkloadRandom) -> Packet {
        let sport = UInt16(32768 + rng.below(28232))
        func tcp(_ s: IPAddress, _ d: IPAddress, _ port: UInt16) -> Packet {
            Packet(source: s, destination: d, protocolNumber: 6, sourcePort: sport, destinationPort: port)
        }
        func pod(_ app: String, near: KubernetesCluster.Pod? = nil) -> KubernetesCluster.Pod {
            // Mostly the same namespace as `near`, as services talk within their namespace.
            if let near, rng.chance(0.9) {
                let local = c.pods.filter { $0.namespace == near.namespace && $0.app == app }
                if !local.isEmpty { return rng.pick(local) }
            }
            let all = c.pods.filter { $0.app == app }
            return all.isEmpty ? rng.pick(c.pods) : rng.pick(all)
        }
        func internet() -> IPAddress { IPAddress(v4: 0x0100_0000 &+ rng.uint32() % 0xDF00_0000) }   // 1.0.0.0 – 223.255.255.255
        func inside(_ n: CIDR) -> IPAddress {
            let host = n.prefixLength >= 32 ? 0 : rng.uint32() & (UInt32.max >> UInt32(n.prefixLength))
            return IPAddress(v4: n.address.v4 | host)
        }
        let dns = c.pods.first { $0.app == "kube-dns" }!
        let prometheus = c.pods.first { $0.app == "prometheus" }!
        switch rng.below(20) {
        case 0...4:
            let fe = pod("frontend"), be = pod("backend", near: fe)
            return tcp(fe.address, be.address, rng.chance(0.7) ? 8080 : 50051)
        case 5, 6:
            let be = pod("backend"), db = pod(rng.bit() ? "db" : "cache", near: be)
            return tcp(be.address, db.address, db.app == "db" ? 5432 : 6379)
        case 7, 8:
            let p = rng.pick(c.pods)
            return Packet(source: p.address, destination: dns.address, protocolNumber: rng.chance(0.9) ? 17 : 6, sourcePort: sport, destinationPort: 53)
        case 9:
            let p = rng.pick(c.pods)
            return tcp(prometheus.address, p.address, rng.pick(p.ports).port)
        case 10, 11:
            return tcp(internet(), pod("frontend").address, rng.chance(0.8) ? 8080 : 443)
        case 12, 13:
            // Customers and partners at the firewall policies' ports.
            let from = rng.chance(0.7) ? inside(rng.pick(c.customerNets)) : inside(rng.pick(c.partnerNets))
            let to = rng.pick(c.pods.filter { $0.namespace != "kube-system" && $0.namespace != "monitoring" })
            return tcp(from, to.address, rng.chance(0.5) ? rng.pick(KubernetesPolicyGenerator.firewallPorts) : rng.pick(to.ports).port)
        case 14:
            // The threat feed, both ways.
            let p = rng.pick(c.pods), bad = inside(rng.pick(c.threatNets))
            return rng.bit() ? tcp(bad, p.address, rng.pick(p.ports).port) : tcp(p.address, bad, 443)
        case 15:
            let be = pod("backend")
            return tcp(be.address, inside(rng.pick(c.partnerNets)), 443)
        case 16:
            // Pings: echo requests between pods, or from customers (ICMP errors need an embedded
            // header to be parsed as such, and belong to flows: not first packets).
            let to = rng.pick(c.pods)
            let from = rng.bit() ? rng.pick(c.pods).address : inside(rng.pick(c.customerNets))
            return Packet(source: from, destination: to.address, protocolNumber: 1, icmpType: 8, icmpCode: 0)
        default:
            // Anything to anything: mostly denied by default-deny.
            let a = rng.pick(c.pods), b = rng.pick(c.pods)
            let udp = rng.chance(0.2)
            return Packet(source: a.address, destination: b.address, protocolNumber: udp ? 17 : 6, sourcePort: sport,
                          destinationPort: rng.chance(0.5) ? rng.pick(b.ports).port : UInt16(1 + rng.below(65535)))
        }
    }
}

extension Duration {
    var workloadSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
