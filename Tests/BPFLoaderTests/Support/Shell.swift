// Runs system tools (ip, tc, mount) for the privileged tests: posix_spawn and waitpid, not
// Foundation's Process, which hangs inside a network namespace whose loopback is down
// (TOOLCHAIN §7).

#if canImport(Glibc)
import Glibc
#endif

enum Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `arguments` (searched on PATH) with stdout and stderr captured together.
    @discardableResult
    static func run(_ arguments: [String]) -> Result {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { return Result(status: -1, output: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        defer { posix_spawn_file_actions_destroy(&actions) }
        let cArgs = arguments.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &actions, nil, cArgs, environ)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            return Result(status: -1, output: "cannot run \(arguments[0]): \(String(cString: strerror(rc)))")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, output: String(decoding: bytes, as: UTF8.self))
    }

    /// Runs and returns the output; throws when the status is not 0.
    @discardableResult
    static func must(_ arguments: [String]) throws -> String {
        let r = run(arguments)
        guard r.status == 0 else { throw ShellError(command: arguments.joined(separator: " "), result: r) }
        return r.output
    }
}

struct ShellError: Error, CustomStringConvertible {
    var command: String
    var result: Shell.Result
    var description: String { "\(command) exited \(result.status): \(result.output)" }
}
