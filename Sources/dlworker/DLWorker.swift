// dlworker: a worker process. It connects to a coordinator (started before or after it), receives
// its shards' rows, and computes their gradients each step until the job ends.

import ArgumentParser
import DLCore
import DLWorker
import Foundation
import Logging

@main
struct DLWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlworker",
        abstract: "A dltrain worker: computes its shards' gradients for a coordinator (dlcoord --workers N).",
        discussion: """
            The worker needs no copy of the data: the coordinator sends it the rows of the shards it \
            owns. Each step's gradient is summed from worker to worker (never through the \
            coordinator), so workers must reach each other: each listens on --peer-bind. It may start before or after the coordinator and says hello every second until one \
            answers (for at most --reconnect-timeout seconds). Exit status: 0 when the job finished, \
            3 when the coordinator stopped it early, 1 when this worker failed or gave up.
            """,
        version: DLTrainVersion.current)

    @Option(help: ArgumentHelp("The coordinator's address, e.g. tcp://HOST:5555 or ipc:///tmp/dltrain.ipc.", valueName: "endpoint"))
    var connect: String

    @Option(help: ArgumentHelp("This worker's name in the coordinator's log (default: HOST-PID).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("reconnect-timeout"), help: ArgumentHelp("How long to keep trying to reach a coordinator, in seconds.", valueName: "s"))
    var reconnectTimeout: Double = 60

    @Option(name: .customLong("coordinator-timeout"), help: ArgumentHelp("Silence from the coordinator after which it counts as lost, in seconds.", valueName: "s"))
    var coordinatorTimeout: Double = 15

    @Flag(name: .customLong("keep-running"), help: "After a job ends, wait for the next one instead of exiting.")
    var keepRunning = false

    @Option(
        name: .customLong("peer-bind"),
        help: ArgumentHelp(
            "Where this worker listens for the other workers' parts of each step (default: an ephemeral TCP port on "
                + "every interface, or an ipc path beside an ipc coordinator).", valueName: "endpoint"))
    var peerBind: String?

    @Option(
        help: ArgumentHelp(
            "The address the other workers reach this one at (default: this host's address on the route to the "
                + "coordinator).", valueName: "host"))
    var advertise: String?

    @Option(help: ArgumentHelp("Threads this worker computes its shards with (default: the CPUs this process may run on, \(AvailableCPUs.count()) here). The weights do not depend on it.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        guard reconnectTimeout > 0, coordinatorTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        ComputePool.shared = ComputePool(threads: threads ?? AvailableCPUs.count())
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let name = self.name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let logger = Logger(label: "dlworker \(name)")
        let options = WorkerOptions(
            endpoint: connect, name: name,
            timeouts: .init(reconnect: .milliseconds(Int(reconnectTimeout * 1000)), coordinator: .milliseconds(Int(coordinatorTimeout * 1000))),
            keepRunning: keepRunning, peerBind: peerBind, advertise: advertise)
        let outcome: WorkerSession.Outcome
        do {
            outcome = try WorkerProcess.run(options, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("dlworker: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        switch outcome {
        case .stopped(finished: true, _):
            return
        case let .stopped(finished: false, reason):
            FileHandle.standardError.write(Data("dlworker: the coordinator stopped the job: \(reason)\n".utf8))
            throw ExitCode(3)
        case let .failed(reason):
            FileHandle.standardError.write(Data("dlworker: error: \(reason)\n".utf8))
            throw ExitCode.failure
        }
    }
}
