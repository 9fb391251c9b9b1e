// The ClassBench rule-file parser: good lines, and bad lines with file, line, column and field.

import Addresses
import ClassBench
import PolicyModel
import Testing

struct RuleFileTests {
    let file = "t.rules"

    @Test func parsesTheStandardLine() throws {
        let rules = try ClassBenchRuleFile.parse(
            "@10.103.199.186/32\t175.211.100.86/32\t0 : 65535\t1521 : 1521\t0x06/0xFF\t0x1000/0x1000\t\n"
                + "@0.0.0.0/0\t128.0.0.0/1\t1024 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t\n", file: file)
        #expect(rules.count == 2)
        let r = rules[0]
        #expect(r.source == CIDR(address: IPAddress("10.103.199.186")!, prefixLength: 32))
        #expect(r.destination == CIDR(address: IPAddress("175.211.100.86")!, prefixLength: 32))
        #expect(r.sourcePorts == 0...65535)
        #expect(r.destinationPorts == 1521...1521)
        #expect(r.protocolNumber == 6)
        #expect(r.flags == 0x1000 && r.flagsMask == 0x1000)
        #expect(r.line == 1)
        #expect(!r.restrictsPortsWithoutPortProtocol && r.restrictsPorts)
        let w = rules[1]
        #expect(w.source.prefixLength == 0 && w.destination == CIDR(address: IPAddress("128.0.0.0")!, prefixLength: 1))
        #expect(w.protocolNumber == nil)
        #expect(w.sourcePorts == 1024...65535)
        #expect(w.restrictsPortsWithoutPortProtocol)
        #expect(w.line == 2)
        #expect(r.classBenchLine == "@10.103.199.186/32\t175.211.100.86/32\t0 : 65535\t1521 : 1521\t0x06/0xFF\t0x1000/0x1000")
    }

    @Test func toleratesCRLFMissingFlagsAndNoTrailingTab() throws {
        let rules = try ClassBenchRuleFile.parse("@1.2.3.0/24\t0.0.0.0/0\t0:65535\t80:80\t0x11/0xFF\r\n@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x11/0xFF\t0x0000/0x0000", file: file)
        #expect(rules.count == 2)
        var second = rules[1]
        second.line = 1
        #expect(rules[0] == second)
        #expect(rules[1].line == 2)
        #expect(rules[0].protocolNumber == 17)
    }

    @Test func clearsHostBitsPastThePrefix() throws {
        let r = try ClassBenchRuleFile.parse("@10.1.2.3/8\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t", file: file)[0]
        #expect(r.source == CIDR(address: IPAddress("10.0.0.0")!, prefixLength: 8))
    }

    @Test func badLinesNameLineColumnAndField() {
        let good = "@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t"
        func check(_ bad: String, column: Int, field: String, message: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            expectError(file: file, line: 2, column: column, field: field, message: message, sourceLocation: sourceLocation) { () throws(InputError) in
                try ClassBenchRuleFile.parse(good + "\n" + bad + "\n", file: file)
            }
        }
        check("1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 1, field: "source", message: "starts with '@'")
        check("@1.2.3/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 2, field: "source", message: "dotted-quad")
        check("@1.2.3.256/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 2, field: "source", message: "dotted-quad")
        check("@1.2.3.0/33\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 10, field: "source", message: "prefix length must be 0–32")
        check("@1.2.3.0/24\t0.0.0.0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 13, field: "destination", message: "IPv4 prefix")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 - 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 23, field: "sourcePort", message: "port range")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 65536\t0x06/0xFF\t0x0000/0x0000\t", column: 33, field: "destinationPort", message: "0–65535")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t90 : 80\t0x06/0xFF\t0x0000/0x0000\t", column: 33, field: "destinationPort", message: "is empty")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t6/0xFF\t0x0000/0x0000\t", column: 41, field: "protocol", message: "hexadecimal")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x106/0xFF\t0x0000/0x0000\t", column: 41, field: "protocol", message: "hexadecimal")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0x0F\t0x0000/0x0000\t", column: 41, field: "protocol", message: "mask must be 0xFF")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0x00\t0x0000/0x0000\t", column: 41, field: "protocol", message: "wildcard protocol is written 0x00/0x00")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x10000/0x0000\t", column: 51, field: "flags", message: "hexadecimal")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80", column: 40, field: "protocol", message: "protocol is missing")
        check("@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\textra", column: 65, field: "", message: "unexpected text after the flags")
        check("", column: 1, field: "", message: "empty line")
    }

    @Test func emptyFileAndMissingFile() {
        expectError(file: file, line: 1, field: "", message: "no rules") { () throws(InputError) in try ClassBenchRuleFile.parse("", file: file) }
        expectError(file: "/nonexistent/x.rules", line: 0, field: "", message: "no such file") { () throws(InputError) in
            try ClassBenchRuleFile.load(path: "/nonexistent/x.rules")
        }
    }

    @Test(arguments: Paths.sets)
    func readsTheSharedSets(_ set: String) throws {
        let rules = try ClassBenchRuleFile.load(path: Paths.rules(set))
        #expect(rules.count == ["acl1_1k": 936, "fw1_1k": 891, "ipc1_1k": 979][set])
        // The mapping's premise on these sets: no rule restricts ports without a port protocol.
        #expect(rules.filter(\.restrictsPortsWithoutPortProtocol).isEmpty)
        #expect(rules.allSatisfy { $0.protocolNumber != 0 })
    }
}
