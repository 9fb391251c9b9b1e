// (a) The committed captures are exactly what the committed generator writes.

@testable import CaptureGenerator
import Foundation
import Testing

@Suite("captures/ regenerates byte for byte")
struct RegenerationTests {
    @Test("capture-generator into a temporary directory gives the committed files, and nothing else is committed")
    func regenerate() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("captures-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try CaptureSet.write(to: tmp.path)
        let generated = try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted()
        #expect(generated.count == CaptureSet.all().count * 2 + 1)
        for name in generated {
            let fresh = try Data(contentsOf: tmp.appendingPathComponent(name))
            let committedURL = Repo.captures.appendingPathComponent(name)
            guard let committed = FileManager.default.contents(atPath: committedURL.path) else {
                Issue.record("captures/\(name) is generated but not committed (run `swift run capture-generator`)")
                continue
            }
            if fresh != committed {
                let first = zip(fresh, committed).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(fresh.count, committed.count)
                Issue.record("captures/\(name) differs from the generator's output (\(committed.count) vs \(fresh.count) bytes, first difference at byte \(first)); run `swift run capture-generator`")
            }
        }
        // Every capture-like file in captures/ comes from the generator (no stale leftovers).
        let committed = try FileManager.default.contentsOfDirectory(atPath: Repo.captures.path).filter {
            $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".jsonl") || $0 == "manifest.json"
        }
        for name in committed where !generated.contains(name) {
            Issue.record("captures/\(name) is committed but no longer generated")
        }
    }

    @Test("two runs give the same bytes")
    func deterministic() {
        let a = CaptureSet.files(), b = CaptureSet.files()
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) { #expect(x.bytes == y.bytes, "\(x.name)") }
    }

    @Test("README lists every capture file")
    func readme() throws {
        let text = try String(contentsOf: Repo.captures.appendingPathComponent("README.md"), encoding: .utf8)
        for c in CaptureSet.all() {
            #expect(text.contains("`\(c.fileName)`"), "captures/README.md does not mention \(c.fileName)")
        }
    }

    @Test("every scenario packet has a reason, and expected lines cover the readable packets")
    func scenarios() {
        for c in CaptureSet.all() {
            #expect(!c.packets.isEmpty, "\(c.name)")
            for (i, p) in c.packets.enumerated() {
                #expect(!p.why.isEmpty, "\(c.name) packet \(i + 1) has no reason")
            }
            let lines = c.expectedJSONL().split(separator: "\n")
            #expect(lines.count == c.readablePacketCount, "\(c.name)")
            #expect((c.expectError == nil) == (c.readablePacketCount == c.packets.count), "\(c.name)")
        }
    }
}
