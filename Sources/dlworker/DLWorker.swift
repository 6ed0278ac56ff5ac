// dlworker: a worker process. It connects to a coordinator (started before or after it), receives
// its shards' rows, and computes their gradients each step until the job ends.

import ArgumentParser
import DLCommandLine
import DLCore
import DLTransport
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
            owns. For models of more than 16,384 parameters (or with dlcoord --exchange ring) each \
            step's gradient is summed from worker to worker, so workers must reach each other: each \
            listens on --peer-bind. It may start before or after the coordinator and says hello every second until one \
            answers (for at most --reconnect-timeout seconds). Over TCP beyond this machine it needs \
            the job's secret (--secret-file, the same file as the coordinator's): it then proves it \
            to the coordinator and the other workers, and everything it sends is encrypted. On \
            loopback (tcp://127.0.0.1) it uses this user's secret, ~/.dltrain/local-secret, made at \
            the first such job, so other users of the machine cannot join. Exit \
            status: 0 when the job finished, 3 when the coordinator stopped it early, 1 when this \
            worker failed or gave up, 143 (SIGTERM) or 130 (Ctrl-C) when it was told to stop: it \
            then tells the coordinator, which moves its shards to the other workers at once.
            """,
        version: DLTrainVersion.current)

    /// Usage errors as every dltrain command reports them (DLCommandLine.CommandMain).
    static func main() { CommandMain.run(Self.self) }

    @Option(
        help: ArgumentHelp("The coordinator's address: tcp://HOST:PORT (e.g. tcp://10.0.0.5:5555) or ipc:///path.", valueName: "endpoint"),
        transform: { try Endpoint($0, flag: "--connect", role: .connect) })
    var connect: Endpoint

    @Option(help: ArgumentHelp("This worker's name in the coordinator's log (default: HOST-PID).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("reconnect-timeout"), parsing: .unconditional, help: ArgumentHelp("How long to keep trying to reach a coordinator, in seconds (above 0, at most a week: \(Int(Seconds.longest))).", valueName: "s"), transform: Seconds.parse)
    var reconnectTimeout = Seconds(60)

    @Option(
        name: .customLong("secret-file"),
        help: ArgumentHelp(
            "The job's secret, the same file the coordinator reads (default: $DLTRAIN_SECRET_FILE; on loopback this "
                + "user's \(LocalSecret.fileDescription)). Only its owner may read it. Make one with: \(JobSecret.makeCommand)",
            valueName: "path"))
    var secretFile: String?

    @Flag(help: "Work without a secret over TCP: nothing is encrypted and any peer (on loopback: any user of this machine) could pose as the coordinator. Only on networks you trust.")
    var insecure = false

    @Option(name: .customLong("coordinator-timeout"), parsing: .unconditional, help: ArgumentHelp("Silence from the coordinator after which it counts as lost, in seconds (above 0, at most a week: \(Int(Seconds.longest))).", valueName: "s"), transform: Seconds.parse)
    var coordinatorTimeout = Seconds(15)

    @Flag(name: .customLong("keep-running"), help: "After a job ends, wait for the next one instead of exiting.")
    var keepRunning = false

    @Option(
        name: .customLong("peer-bind"),
        help: ArgumentHelp(
            "Where this worker listens for the other workers' parts of each step: tcp://*:PORT, or a range "
                + "tcp://*:FIRST-LAST (the first free port of it, for a firewall that opens a known range) (default: an "
                + "ephemeral TCP port on every interface, on loopback beside a loopback coordinator, or an ipc path beside "
                + "an ipc coordinator).",
            valueName: "endpoint"),
        transform: { try Endpoint($0, flag: "--peer-bind", role: .peerBind) })
    var peerBind: Endpoint?

    @Option(
        help: ArgumentHelp(
            "The address the other workers reach this one at (default: this host's address on the route to the "
                + "coordinator).", valueName: "host"))
    var advertise: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads this worker computes its shards with (default: the CPUs this process may run on, \(AvailableCPUs.count()) here). The weights do not depend on it.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, !(1...ComputePool.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be from 1 to \(ComputePool.maximumThreads) (this process may run on \(AvailableCPUs.count()) CPUs)")
        }
    }

    func run() throws {
        ComputePool.shared = ComputePool(threads: threads ?? AvailableCPUs.count())
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let name = self.name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let logger = Logger(label: "dlworker \(name)")
        let protection: EndpointSecurity.Protection
        do {
            protection = try workerProtection()
        } catch {
            FileHandle.standardError.write(Data("dlworker: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let keys = protection.keys
        if keys == nil && insecure {
            logger.warning("--insecure: nothing this worker sends or receives is encrypted, and no peer is authenticated")
        }
        if let openFiles = CommandMain.openFiles { logger.info("\(openFiles)") }
        let options = WorkerOptions(
            endpoint: connect.description, name: name,
            timeouts: .init(reconnect: reconnectTimeout.duration, coordinator: coordinatorTimeout.duration),
            keepRunning: keepRunning, peerBind: peerBind, advertise: advertise, keys: keys, secretFile: protection.secretFile)
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
        case let .left(reason, goodbye):
            let line = switch goodbye {
            case .acknowledged:
                "left the job: \(reason); the coordinator acknowledged it and moves its shards to the other workers"
            case let .unacknowledged(waited):
                "left the job: \(reason); the coordinator did not acknowledge its goodbye within "
                    + "\(WorkerSession.seconds(waited)) s (it may be busy, stopped or gone): it will notice this worker "
                    + "is gone after its --worker-timeout (15 s by default)"
            case .noJob: "\(reason), before any coordinator answered"
            }
            FileHandle.standardError.write(Data("dlworker: \(line)\n".utf8))
            throw ExitCode(128 + Interrupt.signalNumber)
        case let .unreachable(wait):
            FileHandle.standardError.write(Data("dlworker: error: \(wait.failure)\n".utf8))
            throw ExitCode.failure
        case let .failed(reason):
            FileHandle.standardError.write(Data("dlworker: error: \(reason)\n".utf8))
            throw ExitCode.failure
        case let .refusedJob(refusal):
            FileHandle.standardError.write(Data("dlworker: error: \(refusal)\n".utf8))
            throw ExitCode.failure
        }
    }

    private var configuredSecretFile: String? { secretFile ?? ProcessInfo.processInfo.environment["DLTRAIN_SECRET_FILE"] }

    /// The job's keys: the secret file's; on loopback this user's local secret; none beside an ipc
    /// coordinator (or with --insecure), where a TCP --peer-bind is refused: every user could reach it.
    private func workerProtection() throws(EndpointSecurity.Problem) -> EndpointSecurity.Protection {
        let protection = try EndpointSecurity.protection(
            for: connect, role: .connect, secretFile: configuredSecretFile, insecure: insecure)
        if protection.keys == nil, !insecure, let peerBind, EndpointSecurity.reach(of: peerBind, role: .peerBind) != .owner {
            throw .peerSocketNeedsSecret(endpoint: peerBind.description)
        }
        return protection
    }
}
