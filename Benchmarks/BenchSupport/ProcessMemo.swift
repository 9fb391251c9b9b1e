// A value per key, built once per process under a lock and shared: the workload caches of the
// benchmarks (compiled workloads, BPF planes, reload pairs) all need exactly this.

import Foundation

public final class ProcessMemo<Value>: @unchecked Sendable {
    private var values: [String: Value] = [:]
    private let lock = NSLock()

    public init() {}

    /// The value for `key`, made by `make` the first time; the lock is held while it is made, so a
    /// key is never built twice.
    public func value(_ key: String, _ make: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let v = values[key] { return v }
        let v = make()
        values[key] = v
        return v
    }
}
