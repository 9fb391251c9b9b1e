// The reference evaluator's decision in the compact form the Classifier's `describe` prints
// (PointDescription.decision), so that engine comparisons in every test target read one text.

import ReferenceEvaluator

public enum DecisionText {
    public static func compact(_ d: Decision) -> String {
        switch d {
        case let .rule(tier, policy, _, i, action): return "rule \(tier)/\(policy)#\(i) \(action.rawValue.lowercased())"
        case let .endOfTier(tier): return "endOfTier \(tier)"
        case let .profileRule(p, i, action): return "profile \(p)#\(i) \(action.rawValue.lowercased())"
        case .noProfileMatched: return "noProfileMatched"
        case .failsafe: return "failsafe"
        case .forwardedWithoutPolicy: return "forwardedWithoutPolicy"
        case .hostToLocalWorkload: return "hostToLocalWorkload"
        case let .endpointToHost(action): return "endpointToHost \(action)"
        }
    }
}
