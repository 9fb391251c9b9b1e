// `verdict replay`'s swift engine as a library: every packet of a capture parsed, through
// connection tracking and the compiled table, and handed to the caller in capture order. One job
// runs the loop in place (no copy of the packet); more jobs shard flows across worker threads
// (ShardedReplay) and give the caller the same packets, results and flow numbers in the same order.

import Classifier
import MatchTable
import Packets
import PcapIO

public final class CaptureReplayer {
    public let table: MatchTable
    /// Worker threads judging packets; 1 judges on the calling thread.
    public let jobs: Int
    public let policyVerdicts: StatefulClassifier.PolicyVerdicts
    /// The engines that judged packets (one per job), for their hit counters.
    private var engines: [StatefulClassifier] = []
    /// Flows numbered by the last ``run(_:limit:_:)``.
    public private(set) var flowCount = 0

    /// - Parameters:
    ///   - jobs: 1 or more.
    ///   - policyVerdicts: `.always` when the caller reads every packet's ``PacketResult/policy``
    ///     (per-packet output), else `.whereNeeded`.
    public init(table: MatchTable, jobs: Int = 1, policyVerdicts: StatefulClassifier.PolicyVerdicts = .always) {
        precondition(jobs >= 1, "jobs must be at least 1")
        self.table = table
        self.jobs = jobs
        self.policyVerdicts = policyVerdicts
    }

    /// Replays the capture: `body` gets every packet that passes the reader's filter, in capture
    /// order, with its parsed headers and its result; the record's bytes are valid only during
    /// the call. With `limit`, stops at the first record read after `limit` packets (so a damaged
    /// record right after them is still reported, as a plain read loop would).
    ///
    /// - Throws: ``CaptureError`` when the capture is damaged (after `body` saw every packet
    ///   before the damaged one), or what `body` throws (reading stops there).
    public func run(_ reader: CaptureReader, limit: Int? = nil,
                    _ body: (PacketRecord, PacketHeaders, PacketResult) throws -> Void) throws {
        if jobs == 1 {
            let engine = StatefulClassifier(Classifier(table), policyVerdicts: policyVerdicts)
            engines = [engine]
            defer { flowCount = engine.flowCount }
            let limit = limit ?? Int.max
            var delivered = 0
            let linkType = reader.linkType
            do {
                try reader.forEach { record in
                    if delivered >= limit { throw StopReading() }
                    // A `let` of the closure, not a variable it captures or a `var`: passing a
                    // variable on made the compiler copy the whole struct (180 bytes, a memcpy)
                    // once for `process` and once for `body`, at every packet.
                    let (outcome, headers) = Self.parse(record.bytes, linkType: linkType)
                    let result = engine.process(headers, outcome: outcome, timestampNanoseconds: record.timestamp.nanosecondsSinceEpoch)
                    delivered &+= 1
                    try body(record, headers, result)
                }
            } catch is StopReading {}
            return
        }
        let sharded = ShardedReplay(table: table, jobs: jobs, policyVerdicts: policyVerdicts)
        defer {
            engines = sharded.engines
            flowCount = sharded.flowCount
        }
        try sharded.run(reader, limit: limit, body)
    }

    /// The parse as a returned value, which the caller binds with `let` and passes on by address.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> (ParseOutcome, PacketHeaders) {
        var h = PacketHeaders()
        let outcome = PacketParser.parse(bytes, linkType: linkType, into: &h)
        return (outcome, h)
    }

    /// Hits per chain and rule, summed over the jobs of the last run: `[chain][rule]`.
    public func hits() -> [[UInt64]] {
        table.chains.indices.map { c in
            (0..<Int(table.chains[c].rule_count)).map { r in engines.reduce(0) { $0 &+ $1.classifier.hits(chain: c, rule: r) } }
        }
    }
}

/// Stops a read loop at the packet limit.
struct StopReading: Error {}

extension CaptureTimestamp {
    /// Nanoseconds since the epoch: the clock connection tracking runs on.
    @inlinable public var nanosecondsSinceEpoch: Int64 { seconds * 1_000_000_000 + Int64(nanoseconds) }
}
