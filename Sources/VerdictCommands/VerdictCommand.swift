// The root command. Each subcommand lives in its own file.

import ArgumentParser

public struct VerdictCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Give Calico's verdict for Kubernetes and Calico network policy.",
        discussion: """
        Verdict loads Calico (projectcalico.org/v3, crd.projectcalico.org/v1) and Kubernetes
        (networking.k8s.io/v1) policies together with an inventory of namespaces, pods and
        endpoints, and answers which packets they allow, and which rule decided.

        Exit codes: 0 success, 1 an expectation did not hold, 2 bad input, 64 usage error,
        77 missing privilege.
        """,
        version: "0.1.0",
        subcommands: [Check.self, Explain.self, Matrix.self, Diff.self, AuditCommand.self, Select.self, Compile.self, Inspect.self, Replay.self, Bench.self,
                      Load.self, Unload.self, Status.self])

    public init() {}
}
