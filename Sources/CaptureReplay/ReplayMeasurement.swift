// The loops replay's speed is judged by: the capture-reading ceilings (libpcap, or the mapped
// walker, reading the file and nothing else) and end-to-end replay (read, parse, conntrack, classify, count), both on
// a capture file, so that `verdict bench replay` and the Benchmarks package time the same code.

import Classifier
import MatchTable
import PcapIO

public enum ReplayMeasurement {
    /// Reads every packet of `path` and touches nothing but its length: through libpcap
    /// (`.libpcap`) or as replay reads it (`.automatic`: the mapped walker for a classic pcap file).
    /// Returns the packets read and the bytes seen (so the loop cannot be optimised away).
    public static func readCeiling(_ path: String, using choice: CaptureReader.ReaderChoice = .libpcap) throws -> (packets: Int, bytes: Int) {
        let reader = try CaptureReader(path: path, using: choice)
        var packets = 0, bytes = 0
        try reader.forEach { record in
            packets += 1
            bytes &+= record.bytes.count
        }
        return (packets, bytes)
    }

    /// Replays `path` against `table` on `jobs` threads as `verdict replay` does for its summary
    /// (policy verdicts only where needed): the tally, the flows and the per-rule hits.
    public static func replay(_ path: String, table: MatchTable, jobs: Int) throws -> (tally: ReplayTally, flows: Int, hits: [[UInt64]]) {
        let reader = try CaptureReader(path: path)
        let replayer = CaptureReplayer(table: table, jobs: jobs, policyVerdicts: .whereNeeded)
        var tally = ReplayTally()
        try replayer.run(reader) { _, _, result in tally.add(result) }
        return (tally, replayer.flowCount, replayer.hits())
    }
}
