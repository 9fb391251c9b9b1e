// The loops replay's speed is judged by: the capture-reading ceilings (libpcap, or the mapped
// walker, reading the file and nothing else) and end-to-end replay (read, parse, conntrack, classify, count), both on
// a capture file, so that `verdict bench replay` and the Benchmarks package time the same code.

import Classifier
import MatchTable
import Packets
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

    /// The replay loop's stages, each loop doing one more thing than the one before, on one
    /// core; their differences are where a packet's time goes.
    public enum Stage: String, CaseIterable, Sendable {
        /// Reading each record as replay does (the mapped walker for a pcap file), nothing else.
        case read
        /// … and parsing it.
        case parse
        /// … and its flow key, canonical form, hash and flow-table slot (FlowTable.slot).
        case flowTable = "flow-table"
        /// … and StatefulClassifier.process instead (flow table, conntrack, classification
        /// where needed, verdict cache, the result), handed to an empty body.
        case process
        /// `replay(_:table:jobs:)` with one job: … and counting, plus the run's set-up.
        case replay
    }

    /// Runs one stage's loop over `path` once; returns the packets it saw.
    public static func run(_ stage: Stage, _ path: String, table: MatchTable) throws -> Int {
        switch stage {
        case .read:
            return try readCeiling(path, using: .automatic).packets
        case .parse:
            let reader = try CaptureReader(path: path)
            let linkType = reader.linkType
            var n = 0, ok = 0
            try reader.forEach { record in
                let (outcome, h) = CaptureReplayer.parse(record.bytes, linkType: linkType)
                if outcome == .ok && h.dstPort != 1 { ok &+= 1 }
                n &+= 1
            }
            return n + (ok == -1 ? 1 : 0)
        case .flowTable:
            let reader = try CaptureReader(path: path)
            let linkType = reader.linkType
            let flows = FlowTable()
            var n = 0, sum = 0
            try reader.forEach { record in
                let (outcome, h) = CaptureReplayer.parse(record.bytes, linkType: linkType)
                if outcome == .ok, let key = FlowKey(h) {
                    let c = key.canonical
                    sum &+= flows.slot(canonical: c, hash: c.hash64, numbered: true)
                }
                n &+= 1
            }
            return n + (sum == -1 ? 1 : 0)
        case .process:
            let reader = try CaptureReader(path: path)
            let replayer = CaptureReplayer(table: table, jobs: 1, policyVerdicts: .whereNeeded)
            var n = 0
            try replayer.run(reader) { _, _, result in
                if result.flowID != -3 { n &+= 1 }
            }
            return n
        case .replay:
            return try replay(path, table: table, jobs: 1).tally.packets
        }
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
