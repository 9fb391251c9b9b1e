// Calico's and Kubernetes' value syntaxes: ports, protocols, CIDRs, names, selectors (SEMANTICS §1.5).

import Addresses
import Selectors

enum Values {
    // MARK: Ports (NUMSTR port.go, VAL validatePort)

    static func port(_ c: Cursor) throws(InputError) -> PortSpec {
        switch try c.intOrString() {
        case let .int(n):
            return .range(try portNumber(n, c), try portNumber(n, c))
        case let .string(s):
            if !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard let n = Int(s) else { throw c.error("invalid port format (\(s))") }
                let p = try portNumber(n, c)
                return .range(p, p)
            }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
                guard let a = Int(parts[0]), let b = Int(parts[1]) else { throw c.error("invalid port format (\(s))") }
                let lo = try portNumber(a, c), hi = try portNumber(b, c)
                if lo > hi {
                    throw c.error("minimum port number (\(lo)) is greater than maximum port number (\(hi)) in port range")
                }
                return .range(lo, hi)
            }
            try portName(s, c)
            return .named(s)
        }
    }

    static func portNumber(_ n: Int, _ c: Cursor) throws(InputError) -> UInt16 {
        if n == 0 || n < 0 { throw c.error("port range invalid, port number must be between 1 and 65535") }
        if n > 65535 { throw c.error("invalid port format (\(n)): port number must be between 1 and 65535") }
        return UInt16(n)
    }

    /// A Kubernetes port name (IANA_SVC_NAME): ≤15 chars, lowercase letters, digits and '-', at least
    /// one letter, no leading, trailing or doubled '-' (VAL `validatePortName`).
    static func portName(_ s: String, _ c: Cursor) throws(InputError) {
        let allowedRaw = s.count <= 128 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard allowedRaw else { throw c.error("invalid port format (\(s))") }
        var problems: [String] = []
        if s.count > 15 { problems.append("must be no more than 15 characters") }
        if !s.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
            problems.append("must contain only lowercase letters, digits and '-'")
        }
        if !s.contains(where: { $0.isLetter }) { problems.append("must contain at least one letter") }
        if s.hasPrefix("-") || s.hasSuffix("-") { problems.append("must not begin or end with '-'") }
        if s.contains("--") { problems.append("must not contain '--'") }
        if !problems.isEmpty { throw c.error("invalid port name '\(s)': \(problems.joined(separator: "; "))") }
    }

    // MARK: Protocols (NUMSTR protocol.go, VAL validateProtocol)

    static func `protocol`(_ c: Cursor) throws(InputError) -> ProtocolSpec {
        switch try c.intOrString() {
        case let .int(n):
            guard (1...255).contains(n) else { throw c.error("protocol number invalid (\(n))") }
            return ProtocolSpec(number: UInt8(n), name: nil)
        case let .string(s):
            if let n = ProtocolSpec.names[s] { return ProtocolSpec(number: n, name: s) }
            if !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s), n <= 255 {
                guard n >= 1 else { throw c.error("protocol number invalid (\(n))") }
                return ProtocolSpec(number: UInt8(n), name: nil)
            }
            let hint = ProtocolSpec.names.keys.first { $0.lowercased() == s.lowercased() }.map { " (names are case-sensitive: did you mean '\($0)'?)" } ?? ""
            throw c.error("protocol name invalid ('\(s)')\(hint)")
        }
    }

    // MARK: CIDRs

    /// A CIDR in a rule's nets/notNets: prefix length required, no host bits (VAL `validateIPNetwork`).
    static func strictCIDR(_ c: Cursor) throws(InputError) -> CIDR {
        let s = try c.string()
        switch CIDR.parse(s, requireCanonical: true) {
        case let .success(v): return v
        case let .failure(p): throw c.error("\(p) ('\(s)')")
        }
    }

    /// A CIDR where Calico accepts a bare IP or host bits (network sets, WorkloadEndpoint ipNetworks,
    /// Kubernetes ipBlock, which Calico re-masks).
    static func lenientCIDR(_ c: Cursor, allowBareIP: Bool) throws(InputError) -> CIDR {
        let s = try c.string()
        if allowBareIP, !s.contains("/"), let ip = IPAddress(s) { return CIDR(address: ip, prefixLength: ip.family.bitWidth) }
        switch CIDR.parse(s, requireCanonical: false) {
        case let .success(v): return v
        case let .failure(p): throw c.error("\(p) ('\(s)')")
        }
    }

    static func ipAddress(_ c: Cursor) throws(InputError) -> IPAddress {
        let s = try c.string()
        guard let ip = IPAddress(s) else { throw c.error("invalid IP address '\(s)'") }
        return ip
    }

    // MARK: Selectors

    /// Parses a selector and reports a syntax error at the exact column of the YAML file when the
    /// selector is written on one line.
    static func selector(_ c: Cursor, maxLength: Int = 1024) throws(InputError) -> Selector {
        let text = try c.string()
        if text.count > maxLength { throw c.error("selector is longer than \(maxLength) characters") }
        do {
            return try Selector(parsing: text)
        } catch {
            var loc = c.location
            if case let .scalar(s) = c.node, loc.line > 0, !text.contains("\n") {
                switch s.style {
                case .plain: loc.column += error.column - 1
                case .singleQuoted, .doubleQuoted: loc.column += error.column
                default: break
                }
            }
            throw InputError(loc, field: c.path,
                             "invalid selector \(quoted(text)): \(error.message) (Calico: failed to validate Field: \(fieldName(c.path)) because of Tag: selector)")
        }
    }

    /// Calico's Go field name for a path such as `spec.ingress[0].source.selector` → `Selector`.
    static func fieldName(_ path: String) -> String {
        let last = path.split(separator: ".").last.map(String.init) ?? path
        return last.prefix(1).uppercased() + last.dropFirst()
    }

    static func quoted(_ s: String) -> String { s.contains("\"") ? "'\(s)'" : "\"\(s)\"" }

    // MARK: Names (DNS-1123)

    static func isDNS1123Label(_ s: Substring) -> Bool {
        guard (1...63).contains(s.count), let f = s.first, let l = s.last else { return false }
        let ok = s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        return ok && f != "-" && l != "-"
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard (1...253).contains(s.count) else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNS1123Label)
    }

    /// Kubernetes label key: optional DNS-subdomain prefix and '/', then a name of ≤63 chars of
    /// alphanumerics, '-', '_', '.', starting and ending alphanumeric.
    static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "a label key may contain at most one '/'" }
        if parts.count == 2, !isDNS1123Subdomain(String(parts[0])) { return "the prefix of '\(key)' must be a DNS subdomain" }
        let name = parts.last!
        if !isQualifiedNamePart(name) { return "'\(key)' is not a valid label key (name part: 1–63 alphanumerics, '-', '_', '.', starting and ending alphanumeric)" }
        return nil
    }

    static func labelValueProblem(_ v: String) -> String? {
        if v.isEmpty { return nil }
        return isQualifiedNamePart(Substring(v)) ? nil : "'\(v)' is not a valid label value (≤63 alphanumerics, '-', '_', '.', starting and ending alphanumeric)"
    }

    private static func isQualifiedNamePart(_ s: Substring) -> Bool {
        guard (1...63).contains(s.count), let f = s.first, let l = s.last else { return false }
        return f.isASCII && (f.isLetter || f.isNumber) && l.isASCII && (l.isLetter || l.isNumber)
            && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
