// The Kubernetes/Calico generator: determinism, exact rule counts after conversion, the features a
// realistic cluster uses, compilation, and the fast path's answers on the generated traffic equal
// the reference evaluator's (verdict and every policing point's decision).

import Addresses
import Classifier
import Foundation
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import Testing
@testable import Workloads

@Suite("Kubernetes workload generator")
struct KubernetesGeneratorTests {
    @Test("same seed, same YAML and traffic; another seed, others")
    func determinism() throws {
        let a = try KubernetesWorkload(targetRules: 300, packets: 2000, seed: 5)
        let b = try KubernetesWorkload(targetRules: 300, packets: 2000, seed: 5)
        #expect(a.cluster.yaml == b.cluster.yaml)
        #expect(a.flows == b.flows && a.packetFlow == b.packetFlow && a.expectations == b.expectations)
        let c = try KubernetesWorkload(targetRules: 300, packets: 2000, seed: 6)
        #expect(a.cluster.yaml != c.cluster.yaml)
        #expect(a.flows != c.flows)
    }

    @Test("the resolved policy set has exactly the target's Calico rules", arguments: [40, 100, 1000, 5000])
    func ruleCount(_ target: Int) throws {
        let cluster = KubernetesPolicyGenerator(seed: 1).cluster(targetRules: target)
        let set = try PolicySet.resolve(try ResourceLoader.load(text: cluster.yaml, file: "k8s.yaml"))
        let resolved = set.allPolicies.reduce(0) { $0 + $1.ingress.count + $1.egress.count }
        #expect(cluster.ruleCount == target)
        #expect(resolved == target)
    }

    @Test("the cluster uses the features it claims")
    func features() {
        let y = KubernetesPolicyGenerator(seed: 2).cluster(targetRules: 2000).yaml
        for needle in ["kind: Tier", "action: Pass", "kind: GlobalNetworkSet", "kind: NetworkSet", "kind: GlobalNetworkPolicy",
                       "apiVersion: networking.k8s.io/v1", "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy", "protocol: ICMP",
                       "icmp: {type:", "ports: [http", "namespaceSelector:", "podSelector: {}, policyTypes: [Ingress, Egress]",
                       "except:", "notPorts:", "notNets:", "ports: ['"] {
            #expect(y.contains(needle), "missing \(needle)")
        }
    }

    @Test("traffic has flow locality and a mix of verdicts")
    func traffic() throws {
        let w = try KubernetesWorkload(targetRules: 1000, packets: 8000, seed: 3)
        #expect(w.packetCount == 8000)
        #expect(w.flows.count <= 1000)
        #expect(Set(w.packetFlow).count < w.packetCount / 3, "\(Set(w.packetFlow).count) flows carry the packets")
        // The most popular flow carries far more than the average.
        var counts = [Int](repeating: 0, count: w.flows.count)
        for f in w.packetFlow { counts[Int(f)] += 1 }
        #expect(counts.max()! > 20 * KubernetesWorkload.packetsPerFlow)
        let allowed = w.allowedFlows
        #expect(allowed > w.flows.count / 5 && allowed < w.flows.count * 4 / 5, "\(allowed) of \(w.flows.count) flows allowed")
        let decisions = Set(w.expectations.flatMap(\.decisions).map { $0.split(separator: " ")[0] + " " + ($0.split(separator: " ").dropFirst().first?.split(separator: "/").first ?? "") })
        print("decision kinds: \(decisions.sorted())")
        #expect(decisions.contains("rule security"))
        #expect(decisions.contains("rule platform"))
        #expect(decisions.contains("rule default"))
        #expect(decisions.contains { $0.hasPrefix("endOfTier") })
        #expect(decisions.contains { $0.hasPrefix("profile") })
    }

    @Test("it compiles, and the fast path agrees with the reference on every flow", arguments: [100, 2000])
    func fastPathAgrees(_ target: Int) throws {
        let w = try KubernetesWorkload(targetRules: target, packets: 4000, seed: 9)
        let table = try PolicyCompiler.compile(w.policySet)
        let classifier = Classifier(table)
        var mismatches: [String] = []
        for (i, p) in w.flows.enumerated() {
            let v = classifier.classify(PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                                                  sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: p.icmpType, icmpCode: p.icmpCode))
            let got = KubernetesExpectation(allow: v.allow, decisions: v.points.map { classifier.describe($0).decision })
            if got != w.expectations[i] { mismatches.append("\(p): expected \(w.expectations[i]), got \(got)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(w.flows.count): \(mismatches.prefix(3))")
    }
}
