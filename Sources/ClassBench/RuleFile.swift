// ClassBench filter files: one rule per line, highest priority first.
//
//   @<srcIP>/<len>\t<dstIP>/<len>\t<sport_lo> : <sport_hi>\t<dport_lo> : <dport_hi>\t0x<proto>/0x<mask>\t0x<flags>/0x<mask>\t
//
// Errors name the file, the line, the column where the bad field starts, and the field.

import Addresses
import Foundation
import PolicyModel

/// One ClassBench filter.
public struct ClassBenchRule: Hashable, Sendable {
    /// Source and destination prefixes (IPv4). Bits past the prefix are cleared.
    public var source: CIDR
    public var destination: CIDR
    public var sourcePorts: ClosedRange<UInt16>
    public var destinationPorts: ClosedRange<UInt16>
    /// Nil for any protocol (`0x00/0x00`).
    public var protocolNumber: UInt8?
    /// TCP flags value and mask, as written; matching ignores them.
    public var flags: UInt16
    public var flagsMask: UInt16
    /// 1-based line in the rule file; the rule's ClassBench index is `line - 1`.
    public var line: Int

    public init(source: CIDR, destination: CIDR, sourcePorts: ClosedRange<UInt16>, destinationPorts: ClosedRange<UInt16>,
                protocolNumber: UInt8?, flags: UInt16 = 0, flagsMask: UInt16 = 0, line: Int) {
        self.source = source
        self.destination = destination
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.protocolNumber = protocolNumber
        self.flags = flags
        self.flagsMask = flagsMask
        self.line = line
    }

    public static let allPorts: ClosedRange<UInt16> = 0...65535

    /// Restricts a port (either range is not `0 : 65535`).
    public var restrictsPorts: Bool { sourcePorts != Self.allPorts || destinationPorts != Self.allPorts }

    /// Restricts ports although its protocol (any, or an exact protocol other than TCP/UDP/SCTP)
    /// need not have any: the case where ClassBench and Calico differ (see ``ClassBench``).
    public var restrictsPortsWithoutPortProtocol: Bool {
        restrictsPorts && !(protocolNumber.map(ClassBench.isPortProtocol) ?? false)
    }

    /// First-match semantics of ClassBench on one header (the brute-force definition of column 8).
    public func matches(source s: UInt32, destination d: UInt32, sourcePort sp: UInt16, destinationPort dp: UInt16, protocolNumber p: UInt8) -> Bool {
        source.contains(IPAddress(v4: s)) && destination.contains(IPAddress(v4: d))
            && sourcePorts.contains(sp) && destinationPorts.contains(dp) && (protocolNumber.map { $0 == p } ?? true)
    }

    /// The rule as a ClassBench line (without the trailing tab the generator writes).
    public var classBenchLine: String {
        func hex2(_ v: UInt8) -> String { let h = String(v, radix: 16, uppercase: true); return h.count == 1 ? "0" + h : h }
        func hex4(_ v: UInt16) -> String { let h = String(v, radix: 16, uppercase: true); return String(repeating: "0", count: 4 - h.count) + h }
        return "@\(source)\t\(destination)\t\(sourcePorts.lowerBound) : \(sourcePorts.upperBound)\t"
            + "\(destinationPorts.lowerBound) : \(destinationPorts.upperBound)\t"
            + "0x\(hex2(protocolNumber ?? 0))/0x\(protocolNumber == nil ? "00" : "FF")\t0x\(hex4(flags))/0x\(hex4(flagsMask))"
    }
}

/// Reads ClassBench rule files.
public enum ClassBenchRuleFile {
    /// Reads and parses `path`.
    public static func load(path: String) throws(InputError) -> [ClassBenchRule] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? error.localizedDescription
            throw InputError(SourceLocation(file: path, line: 0, column: 0), field: "", "cannot read the rule file: \(cannotRead(path) ?? reason)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses rule-file text. Every line is a rule (index = line - 1); an empty last line is allowed.
    public static func parse(_ text: String, file: String) throws(InputError) -> [ClassBenchRule] {
        var rules: [ClassBenchRule] = []
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if lines.last?.isEmpty == true { lines.removeLast() }
        rules.reserveCapacity(lines.count)
        for (i, raw) in lines.enumerated() {
            rules.append(try parseLine(raw, file: file, line: i + 1))
        }
        if rules.isEmpty { throw InputError(SourceLocation(file: file, line: 1, column: 1), field: "", "the rule file holds no rules") }
        return rules
    }

    static let fieldNames = ["source", "destination", "sourcePort", "destinationPort", "protocol", "flags"]

    /// Parses one line (without its newline).
    public static func parseLine(_ raw: Substring, file: String, line: Int) throws(InputError) -> ClassBenchRule {
        let text = raw.hasSuffix("\r") ? raw.dropLast() : raw
        func fail(_ column: Int, _ field: String, _ message: String) -> InputError {
            InputError(SourceLocation(file: file, line: line, column: column), field: field, message)
        }
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) {
            throw fail(1, "", "empty line: every line of a ClassBench rule file is a rule (the index is the line number - 1)")
        }
        // Tab-separated fields with their 1-based start columns; the generator ends the line with a tab.
        var fields: [(text: Substring, column: Int)] = []
        var start = text.startIndex, column = 1, fieldColumn = 1
        for idx in text.indices {
            if text[idx] == "\t" {
                fields.append((text[start..<idx], fieldColumn))
                start = text.index(after: idx)
                fieldColumn = column + 1
            }
            column += 1
        }
        fields.append((text[start...], fieldColumn))
        while let last = fields.last, fields.count > 5, last.text.allSatisfy({ $0 == " " }) { fields.removeLast() }
        guard fields.count >= 5 else {
            let missing = fieldNames[fields.count]
            throw fail(column, missing, "expected 6 tab-separated fields (source, destination, source ports, destination ports, protocol, flags), found \(fields.count); \(missing) is missing")
        }
        guard fields.count <= 6 else {
            throw fail(fields[6].column, "", "unexpected text after the flags field: '\(fields[6].text)'")
        }

        // Addresses.
        let (srcText, srcColumn) = fields[0]
        guard srcText.first == "@" else {
            throw fail(srcColumn, "source", "a rule line starts with '@' before the source prefix, found '\(srcText.prefix(20))'")
        }
        let source = try prefix(srcText.dropFirst(), column: srcColumn + 1, field: "source", fail)
        let destination = try prefix(fields[1].text, column: fields[1].column, field: "destination", fail)
        let sourcePorts = try ports(fields[2].text, column: fields[2].column, field: "sourcePort", fail)
        let destinationPorts = try ports(fields[3].text, column: fields[3].column, field: "destinationPort", fail)

        let (value, mask) = try hexPair(fields[4].text, column: fields[4].column, field: "protocol", max: 0xFF, fail)
        let protocolNumber: UInt8?
        switch mask {
        case 0xFF: protocolNumber = UInt8(value)
        case 0:
            guard value == 0 else {
                throw fail(fields[4].column, "protocol", "protocol 0x\(String(value, radix: 16)) with mask 0x00: a wildcard protocol is written 0x00/0x00")
            }
            protocolNumber = nil
        default:
            throw fail(fields[4].column, "protocol", "protocol mask must be 0xFF (exact) or 0x00 (any), found 0x\(String(mask, radix: 16))")
        }

        var flags: UInt16 = 0, flagsMask: UInt16 = 0
        if fields.count == 6, !fields[5].text.allSatisfy({ $0 == " " }) {
            let (f, m) = try hexPair(fields[5].text, column: fields[5].column, field: "flags", max: 0xFFFF, fail)
            flags = UInt16(f)
            flagsMask = UInt16(m)
        }
        return ClassBenchRule(source: source, destination: destination, sourcePorts: sourcePorts, destinationPorts: destinationPorts,
                              protocolNumber: protocolNumber, flags: flags, flagsMask: flagsMask, line: line)
    }

    /// `a.b.c.d/len`.
    static func prefix(_ s: Substring, column: Int, field: String, _ fail: (Int, String, String) -> InputError) throws(InputError) -> CIDR {
        let t = s.trimmingSpaces
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw fail(column, field, "expected an IPv4 prefix like 10.0.0.0/8, found '\(t)'")
        }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        var value: UInt32 = 0
        guard octets.count == 4 else { throw fail(column, field, "expected a dotted-quad IPv4 address, found '\(parts[0])'") }
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy(\.isASCIIDigit), let n = UInt32(o), n <= 255 else {
                throw fail(column, field, "expected a dotted-quad IPv4 address, found '\(parts[0])'")
            }
            value = value << 8 | n
        }
        let lenColumn = column + parts[0].count + 1
        guard !parts[1].isEmpty, parts[1].count <= 2, parts[1].allSatisfy(\.isASCIIDigit), let len = Int(parts[1]), len <= 32 else {
            throw fail(lenColumn, field, "prefix length must be 0–32, found '\(parts[1])'")
        }
        return CIDR(address: IPAddress(v4: value).masked(to: len), prefixLength: len)
    }

    /// `lo : hi` (spaces around the colon optional).
    static func ports(_ s: Substring, column: Int, field: String, _ fail: (Int, String, String) -> InputError) throws(InputError) -> ClosedRange<UInt16> {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(\.trimmingSpaces)
        guard parts.count == 2 else { throw fail(column, field, "expected a port range like '0 : 65535', found '\(s)'") }
        var bounds: [UInt16] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 5, p.allSatisfy(\.isASCIIDigit), let n = Int(p), n <= 65535 else {
                throw fail(column, field, "ports must be whole numbers 0–65535, found '\(s.trimmingSpaces)'")
            }
            bounds.append(UInt16(n))
        }
        guard bounds[0] <= bounds[1] else {
            throw fail(column, field, "port range \(bounds[0]) : \(bounds[1]) is empty (the low end is above the high end)")
        }
        return bounds[0]...bounds[1]
    }

    /// `0xVV/0xMM`.
    static func hexPair(_ s: Substring, column: Int, field: String, max: UInt32, _ fail: (Int, String, String) -> InputError) throws(InputError) -> (UInt32, UInt32) {
        let t = s.trimmingSpaces
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        func hex(_ p: Substring) -> UInt32? {
            guard p.hasPrefix("0x") || p.hasPrefix("0X") else { return nil }
            let digits = p.dropFirst(2)
            guard !digits.isEmpty, digits.count <= 8, let v = UInt32(digits, radix: 16), v <= max else { return nil }
            return v
        }
        let example = max == 0xFF ? "0x06/0xFF" : "0x1000/0x1000"
        guard parts.count == 2, let v = hex(parts[0]), let m = hex(parts[1]) else {
            throw fail(column, field, "expected value/mask in hexadecimal like \(example) (at most 0x\(String(max, radix: 16, uppercase: true))), found '\(t)'")
        }
        return (v, m)
    }

    /// Why `path` cannot be read, in plain words, when it is a missing file or a directory.
    static func cannotRead(_ path: String) -> String? {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { return "no such file" }
        if isDir.boolValue { return "is a directory" }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
