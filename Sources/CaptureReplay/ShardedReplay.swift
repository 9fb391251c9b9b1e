// Replay on several cores. One reader thread reads the capture into batches, parses each packet
// and picks its worker; N workers each judge their own packets with their own StatefulClassifier
// (conntrack, fragments, flow numbers, hit counters) over the same immutable table; the calling
// thread merges every batch in capture order, gives flows their global numbers and hands each
// packet to the caller. So everything global in capture order (per-packet output, denied packets
// written out, the --expect comparison, the summary) happens in one place, in the order a single
// job would produce it (docs/DECISIONS.md 47).
//
//   reader ──batch k──▶ worker 0..N-1 (its packets of batch k) ──▶ merge (batch k, in order) ──▶ free
//
// Batches circulate through a fixed ring; semaphores order every hand-off (free → reader,
// ready[w] → worker w, done[slot] × N → merge), which is what makes the unchecked Sendable
// conformances below hold.

import Classifier
import Dispatch
import Foundation
import MatchTable
import Packets
import PcapIO

final class ShardedReplay: @unchecked Sendable {
    let jobs: Int
    /// Engine w is used only by worker w while the run lasts, and by the caller after it.
    let engines: [StatefulClassifier]
    private let batches: [ReplayBatch]
    private let free: DispatchSemaphore
    private let ready: [DispatchSemaphore]
    private let done: [DispatchSemaphore]
    private let threads = DispatchGroup()
    private let stopLock = NSLock()
    private var stopRequested = false
    private(set) var flowCount = 0

    static let batchPackets = 1024
    static let batchBytes = 1 << 18

    init(table: MatchTable, jobs: Int, policyVerdicts: StatefulClassifier.PolicyVerdicts) {
        precondition(jobs >= 2 && jobs <= Int(UInt16.max), "ShardedReplay needs 2 to 65535 jobs")
        self.jobs = jobs
        engines = (0..<jobs).map { _ in
            StatefulClassifier(Classifier(table), policyVerdicts: policyVerdicts, flowNumbering: .exceptICMPWithoutIdentifier)
        }
        // Enough batches that the reader can run ahead while every worker and the merge are busy.
        let slots = jobs + 4
        batches = (0..<slots).map { _ in ReplayBatch(capacity: Self.batchPackets, arenaBytes: Self.batchBytes) }
        free = DispatchSemaphore(value: slots)
        ready = (0..<jobs).map { _ in DispatchSemaphore(value: 0) }
        done = (0..<slots).map { _ in DispatchSemaphore(value: 0) }
    }

    func run(_ reader: CaptureReader, limit: Int?, _ body: (PacketRecord, PacketHeaders, PacketResult) throws -> Void) throws {
        let owned = Handoff(reader)
        threads.enter()
        Thread { [self] in
            read(owned.value, limit: limit)
            threads.leave()
        }.start()
        for w in 0..<jobs {
            threads.enter()
            Thread { [self] in
                work(w)
                threads.leave()
            }.start()
        }
        let outcome = merge(body)
        threads.wait()
        if let thrown = outcome.thrown { throw thrown }
        if case let .failed(error) = outcome.end { throw error }
    }

    // MARK: Reader

    private func acquire(_ seq: Int) -> ReplayBatch? {
        free.wait()
        let b = batches[seq % batches.count]
        b.reset()
        stopLock.lock()
        defer { stopLock.unlock() }
        if stopRequested {
            b.end = .stopped
            publish()
            return nil
        }
        return b
    }

    private func publish() {
        for s in ready { s.signal() }
    }

    private struct Stopped: Error {}

    private func read(_ reader: CaptureReader, limit: Int?) {
        var seq = 0
        guard var batch = acquire(seq) else { return }
        var delivered = 0
        let linkType = reader.linkType, jobs = self.jobs
        var end = ReplayBatch.End.finished
        do {
            try reader.forEach { record in
                if let limit, delivered >= limit { throw StopReading() }
                if !batch.fits(record.bytes.count) {
                    publish()
                    seq += 1
                    guard let next = acquire(seq) else { throw Stopped() }
                    batch = next
                }
                let i = batch.append(record)
                let outcome = PacketParser.parse(record.bytes, linkType: linkType, into: &batch.headers[i])
                batch.outcomes[i] = outcome
                batch.shards[i] = FlowShard.worker(batch.headers[i], outcome: outcome, packetNumber: record.number, jobs: jobs)
                delivered += 1
            }
        } catch is StopReading {
        } catch is Stopped {
            return  // acquire published the stopped batch
        } catch let e as CaptureError {
            end = .failed(e)
        } catch {
            end = .failed(.readFailed(path: reader.path, packetNumber: reader.packetsRead + 1, pcapMessage: "\(error)"))
        }
        batch.end = end
        publish()
    }

    // MARK: Workers

    private func work(_ w: Int) {
        let engine = engines[w]
        let shard = UInt16(w)
        var seq = 0
        while true {
            ready[w].wait()
            let slot = seq % batches.count
            let b = batches[slot]
            for i in 0..<b.count where b.shards[i] == shard {
                b.results[i] = engine.process(b.headers[i], outcome: b.outcomes[i], timestampNanoseconds: b.timestamp(i).nanosecondsSinceEpoch)
            }
            // Read before signalling: once the merge has the batch, the reader may refill it.
            let last: Bool
            if case .more = b.end { last = false } else { last = true }
            done[slot].signal()
            if last { return }
            seq += 1
        }
    }

    // MARK: Merge

    private func merge(_ body: (PacketRecord, PacketHeaders, PacketResult) throws -> Void) -> (end: ReplayBatch.End, thrown: Error?) {
        // Global flow numbers, in capture order of first appearance: worker w's local flow i is
        // global[w][i]; ICMP flows without an identifier are numbered here (see FlowNumbering).
        var global = [[Int]](repeating: [], count: jobs)
        let icmpFlows = FlowNumbers()
        var icmpGlobal: [Int] = []
        var next = 0
        var thrown: Error?
        var seq = 0
        while true {
            let slot = seq % batches.count
            for _ in 0..<jobs { done[slot].wait() }
            let b = batches[slot]
            if thrown == nil {
                for i in 0..<b.count {
                    var r = b.results[i]
                    if r.flowID >= 0 {
                        let w = Int(b.shards[i])
                        if r.flowID == global[w].count {
                            global[w].append(next)
                            next += 1
                        }
                        r.flowID = global[w][r.flowID]
                    } else if r.flowID == PacketResult.numberedByCaller, let key = FlowKey(b.headers[i]) {
                        let n = icmpFlows.number(key)
                        if n == icmpGlobal.count {
                            icmpGlobal.append(next)
                            next += 1
                        }
                        r.flowID = icmpGlobal[n]
                    }
                    do {
                        try body(b.record(i), b.headers[i], r)
                    } catch {
                        thrown = error
                        stopLock.lock()
                        stopRequested = true
                        stopLock.unlock()
                        break
                    }
                }
            }
            let end = b.end
            free.signal()
            seq += 1
            if case .more = end { continue }
            flowCount = next
            return (end, thrown)
        }
    }
}

/// A value handed to exactly one other thread, which alone uses it from then on.
private struct Handoff<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
