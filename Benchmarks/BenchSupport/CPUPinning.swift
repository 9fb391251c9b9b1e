// Pins the calling process to the CPU it runs on. BPF_PROG_TEST_RUN with a large `repeat` lets
// the kernel reschedule between repetitions, and on a busy machine the run can then finish on
// another CPU: two per-CPU vd_last slots are written and BPFTablePlane.run rightly refuses the
// answer. Pinned, every repetition runs on one CPU (PERFORMANCE.md's method pins with taskset too).

import CBenchShims
import Glibc

public enum CPUPinning {
    /// The CPU now pinned to, or nil when the kernel refused (the reason is printed).
    @discardableResult
    public static func pinToCurrentCPU() -> Int? {
        let cpu = bench_pin_to_current_cpu()
        if cpu < 0 {
            print("warning: cannot pin to one CPU: \(String(cString: strerror(errno)))")
            return nil
        }
        return Int(cpu)
    }
}
