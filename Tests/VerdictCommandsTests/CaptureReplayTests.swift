// `verdict replay` on every capture in captures/ reproduces its expected verdicts (issue 4's
// "done when"), and the capture meant to be refused is refused with its exit code and message,
// after printing the packets before the error.

import Foundation
import Testing

struct CaptureReplayTests {
    struct Entry: Sendable, CustomStringConvertible {
        var file: String
        var policies: [String]
        var expected: String
        var errorCode: Int32?
        var errorMessage: String?
        var packetsBeforeError: Int?
        var description: String { file }
    }

    static var entries: [Entry] {
        let url = FixturePaths.packageRoot.appendingPathComponent("captures/manifest.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["captures"] as? [[String: Any]] else { return [] }
        return list.map { c in
            let err = c["expectError"] as? [String: Any]
            return Entry(file: c["file"] as! String, policies: c["policies"] as! [String], expected: c["expected"] as! String,
                         errorCode: (err?["exitCode"] as? Int).map(Int32.init), errorMessage: err?["message"] as? String,
                         packetsBeforeError: err?["packetsBeforeError"] as? Int)
        }
    }

    @Test("the manifest lists the captures") func manifest() { #expect(Self.entries.count >= 10) }

    @Test("replay reproduces the expected verdicts", arguments: CaptureReplayTests.entries)
    func replay(_ e: Entry) throws {
        let root = FixturePaths.packageRoot.path + "/"
        let policies = e.policies.flatMap { ["-f", root + $0] }
        if let code = e.errorCode {
            let r = try runVerdict(["replay"] + policies + ["-r", root + e.file, "-o", "jsonl", "-q"])
            #expect(r.status == code)
            #expect(r.stderr.contains(e.errorMessage ?? ""), "\(r.stderr)")
            #expect(r.stdout.split(separator: "\n").count == (e.packetsBeforeError ?? 0))
            return
        }
        let r = try runVerdict(["replay"] + policies + ["-r", root + e.file, "--expect", root + e.expected, "-q"])
        #expect(r.status == 0, "\(e.file):\n\(r.stderr)")
    }
}
