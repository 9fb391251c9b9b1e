// Rewrites used by policy normalisation (SEMANTICS §2.2): label prefixing (Calico's
// `PrefixVisitor`, used for `pcns.` / `pcsa.`) and the replacement of `all()` / `global()`.

extension SelectorExpression {
    /// Every label name gets `prefix` (`has(k)`, `k == v`, `k in {…}`, …); `all()` and
    /// `global()` are untouched — the same nodes Calico's `PrefixVisitor` rewrites.
    public func prefixingLabels(with prefix: String) -> SelectorExpression {
        rewritten { node in
            switch node {
            case .has(let l): return .has(prefix + l)
            case .equals(let l, let v): return .equals(prefix + l, v)
            case .notEquals(let l, let v): return .notEquals(prefix + l, v)
            case .inSet(let l, let m): return .inSet(prefix + l, m)
            case .notInSet(let l, let m): return .notInSet(prefix + l, m)
            case .contains(let l, let v): return .contains(prefix + l, v)
            case .startsWith(let l, let v): return .startsWith(prefix + l, v)
            case .endsWith(let l, let v): return .endsWith(prefix + l, v)
            case .all, .global, .not, .and, .or: return node
            }
        }
    }

    /// Every `.all` node replaced by `replacement`.
    public func replacingAll(with replacement: SelectorExpression) -> SelectorExpression {
        rewritten { $0 == .all ? replacement : $0 }
    }

    /// Every `.global` node replaced by `replacement`.
    public func replacingGlobal(with replacement: SelectorExpression) -> SelectorExpression {
        rewritten { $0 == .global ? replacement : $0 }
    }
}

extension Selector {
    /// Returns `self` (source kept) when the rewrite changes nothing, otherwise a selector whose
    /// source is the canonical form of the rewritten expression.
    private func rewriting(_ rewritten: SelectorExpression) -> Selector {
        rewritten == expression ? self : Selector(rewritten)
    }

    /// Every label name gets `prefix`; `all()`/`global()` untouched. An empty selector stays
    /// empty (its `source` is kept, so `isEmptySource` still holds).
    public func prefixingLabels(with prefix: String) -> Selector {
        rewriting(expression.prefixingLabels(with: prefix))
    }

    /// Every `.all` node replaced — including the implicit `all()` of an empty selector (check
    /// `isEmptySource` first where the empty selector must be treated differently).
    public func replacingAll(with replacement: SelectorExpression) -> Selector {
        rewriting(expression.replacingAll(with: replacement))
    }

    /// Every `.global` node replaced.
    public func replacingGlobal(with replacement: SelectorExpression) -> Selector {
        rewriting(expression.replacingGlobal(with: replacement))
    }
}
