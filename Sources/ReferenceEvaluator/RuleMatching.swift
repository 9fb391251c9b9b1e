// One rule against one packet, for analyses that need it outside an evaluation (the audit's
// shadowing search asks whether a candidate packet is one a Deny rule would match at all).

import PolicyModel

extension ReferenceEvaluator {
    /// Nil when `rule` matches `packet`, as the evaluator matches it; otherwise the first criterion
    /// that failed, in words.
    public func mismatch(_ rule: Rule, _ packet: Packet) -> String? {
        matcher.mismatch(rule, packet)
    }
}
