// Reading table files: a good one round-trips byte for byte; a truncated, corrupt, wrong-version
// or foreign file is a clear error, never a crash.

import CVerdictABI
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import Testing

struct TableFileTests {
    static let policies = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: demo}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: demo, labels: {app: web}}
    spec: {nodeName: node1, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
    status: {podIP: 10.0.0.10, podIPs: [{ip: 10.0.0.10}, {ip: "fd00::10"}]}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: allow-http, namespace: demo}
    spec:
      selector: app == 'web'
      ingress:
      - action: Allow
        protocol: TCP
        source: {nets: [192.168.0.0/16]}
        destination: {ports: [http]}
      - action: Pass
        protocol: ICMP
        icmp: {type: 8}
    """

    static func table() throws -> MatchTable {
        try PolicyCompiler.compile(PolicySet.resolve(ResourceLoader.load(text: policies, file: "t.yaml")))
    }

    func reload(_ bytes: [UInt8]) -> Result<MatchTable, MatchTableError> {
        do throws(MatchTableError) { return .success(try MatchTable(bytes: bytes, file: "x.vdt")) } catch { return .failure(error) }
    }

    func message(_ bytes: [UInt8]) -> String? {
        if case let .failure(e) = reload(bytes) { return e.description }
        return nil
    }

    @Test("a written table reads back identical, with the same dump")
    func roundTrip() throws {
        let t = try Self.table()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(getpid()).vdt").path
        defer { unlink(path) }
        try t.write(to: path)
        let back = try MatchTable(contentsOf: path)
        #expect(back.bytes == t.bytes)
        #expect(back.dump() == t.dump())
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp-\(getpid())"))
    }

    @Test("truncated, corrupt, wrong version, wrong magic, trailing bytes, empty")
    func badFiles() throws {
        let good = try Self.table().bytes
        #expect(message(Array(good.prefix(good.count - 10)))?.contains("truncated") == true)
        #expect(message(Array(good.prefix(20)))?.contains("shorter than") == true)
        #expect(message([])?.contains("shorter than") == true)
        #expect(message(good + [0, 0, 0])?.contains("unexpected bytes") == true)
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        #expect(message(flipped)?.contains("checksum") == true)
        var version = good
        version[8] = 99
        #expect(message(version)?.contains("version 99 is not supported") == true)
        var magic = good
        magic[0] = 0x7f
        #expect(message(magic)?.contains("not a Verdict table") == true)
        let text = Array("apiVersion: v1\n".utf8) + [UInt8](repeating: 32, count: 100)
        #expect(message(text)?.contains("not a Verdict table") == true)
    }

    @Test("every single-byte truncation and a sweep of bit flips give an error, never a crash")
    func fuzzish() throws {
        let good = try Self.table().bytes
        for n in stride(from: 0, to: good.count, by: max(1, good.count / 200)) {
            #expect(message(Array(good.prefix(n))) != nil)
        }
        for i in stride(from: 0, to: good.count, by: max(1, good.count / 300)) {
            var b = good
            b[i] ^= 0x01
            #expect(message(b) != nil, "flip at \(i) went unnoticed")
        }
    }

    @Test("dump golden: the stable text names rules, pass targets and named-port terms")
    func dumpGolden() throws {
        let dump = try Self.table().dump()
        let golden = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("golden/small.dump.txt"), encoding: .utf8)
        #expect(dump == golden, "regenerate with: swift test --filter dumpGolden after checking the diff")
        #expect(dump.contains("allow NetworkPolicy default/demo/allow-http rule 0"))
        #expect(dump.contains("pass NetworkPolicy default/demo/allow-http rule 1 → term"))
    }

    @Test("dump golden without bit vectors: each term's key ranges, and the file reads back")
    func dumpGoldenTermIndex() throws {
        let table = try PolicyCompiler.compile(PolicySet.resolve(ResourceLoader.load(text: Self.policies, file: "t.yaml")), options: .termIndexOnly)
        #expect(!table.hasBitVectors)
        #expect(table.section(VD_SEC_ROWS, chain: 0, dim: 1) == nil && table.section(VD_SEC_MAP, chain: 0, dim: 1) == nil)
        let dump = table.dump()
        let golden = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("golden/small.termindex.dump.txt"), encoding: .utf8)
        #expect(dump == golden, "regenerate with `verdict compile --bit-vectors never` + `verdict inspect` after checking the diff")
        #expect(try MatchTable(bytes: table.bytes, file: "x.vdt").dump() == dump)
        #expect(table.byteCount < (try Self.table()).byteCount)
    }
}
