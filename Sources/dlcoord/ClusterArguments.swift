// dlcoord's options for a distributed run (--workers N): where workers connect, the timeouts, the
// secret, the exchange and the audit; and how they become a Coordinator that trains the run.

import ArgumentParser
import DLCommandLine
import DLCoordinator
import DLCore
import DLMetrics
import DLRun
import DLTransport
import Foundation
import Logging

struct ClusterArguments: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Train on N dlworker processes.", valueName: "n"))
    var workers: Int?

    @Flag(help: "Start the --workers as child processes on this machine, and stop them at the end.")
    var spawn = false

    @Option(
        help: ArgumentHelp(
            "Where workers connect: tcp://HOST:PORT (tcp://*:5555 by default: every interface; HOST may be an address, "
                + "[IPv6], an interface or a name) or ipc:///path; with --spawn a private ipc path.", valueName: "endpoint"),
        transform: { try Endpoint($0, flag: "--bind", role: .bind) })
    var bind: Endpoint?

    @Option(name: .customLong("wait-timeout"), parsing: .unconditional, help: ArgumentHelp("How long to wait for the workers to register, in seconds (above 0, at most a week: \(Int(Seconds.longest))).", valueName: "s"), transform: Seconds.parse)
    var waitTimeout = Seconds(60)

    @Option(name: .customLong("worker-timeout"), parsing: .unconditional, help: ArgumentHelp("Silence after which a worker counts as lost and its shards move to the others, in seconds (above 0, at most a week: \(Int(Seconds.longest))).", valueName: "s"), transform: Seconds.parse)
    var workerTimeout = Seconds(15)

    @Option(name: .customLong("min-workers"), parsing: .unconditional, help: ArgumentHelp("Below this many workers the run pauses and waits for more.", valueName: "n"))
    var minWorkers: Int = 1

    @Option(name: .customLong("rejoin-timeout"), parsing: .unconditional, help: ArgumentHelp("How long a paused run waits for workers before it stops with a checkpoint, in seconds (above 0, at most a week: \(Int(Seconds.longest))).", valueName: "s"), transform: Seconds.parse)
    var rejoinTimeout = Seconds(60)

    @Flag(inversion: .prefixedNo, help: "Give shards to workers that join during the run.")
    var rebalance = true

    @Option(
        name: .customLong("secret-file"),
        help: ArgumentHelp(
            "The job's secret (default: $DLTRAIN_SECRET_FILE): only workers holding the same file are admitted, and all "
                + "traffic is encrypted (CURVE). Needed to bind a TCP endpoint other machines reach; on loopback this user's "
                + "\(LocalSecret.fileDescription) is used without it. Only its owner may read it. Make one with: "
                + "\(JobSecret.makeCommand)", valueName: "path"))
    var secretFile: String?

    @Flag(help: "Bind a TCP endpoint without a secret: anyone who reaches it (on loopback: every user of this machine) could join the job and read its data. Only on networks you trust.")
    var insecure = false

    @Option(help: ArgumentHelp(
        "How each step's gradient is summed: star (at the coordinator: one hop each way, but its link carries every "
            + "worker's gradient), ring (around the workers: each host's link carries about twice the model, whatever the "
            + "number of workers), or auto (star for models of at most 16,384 parameters, ring above). The trained weights "
            + "are the same bits either way.",
        valueName: "auto|star|ring"))
    var exchange: CoordinatorSession.Exchange = .auto

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Check the workers: the coordinator computes this fraction of the shards' results again, drawn at random "
            + "after the workers sent theirs (each step, the gradients with their loss and metric sums; each validation "
            + "pass, the validation sums), and compares them bit for bit (a ring's gradients by their SHA-256 digests). "
            + "A worker whose result differs (silent corruption, or a worker that lies) is named and excluded, and the "
            + "step or validation runs again without it: the weights, metrics and early stopping stay those of an "
            + "undisturbed run. 1 checks every result. In a star the coordinator checks the very gradients it adds; in "
            + "a ring, the ones each worker computed (see docs/security.md).",
        valueName: "fraction"))
    var audit: Double = 0

    /// Where the workers connect: --bind; resuming without it, where the run listened before (from
    /// its run.json, `recorded`), said in `note`; else the default (a private ipc path with --spawn).
    /// A resume that moves the run elsewhere is told that workers waiting at the old address stay there.
    func endpoint(recorded: RunRecord?) -> (endpoint: String, note: String?) {
        if let bind = bind?.description {
            guard !spawn, let before = recorded?.bind, before != bind else { return (bind, nil) }
            return (bind, "the run listened at \(before) before; workers still waiting there will not find this coordinator at \(bind)")
        }
        if !spawn, let recorded = recorded?.bind {
            return (recorded, "workers connect at \(recorded), where the run listened before (its run.json); --bind sets another address")
        }
        return (spawn ? "ipc://\(NSTemporaryDirectory())/dltrain-\(getpid()).ipc" : "tcp://*:5555", nil)
    }

    /// Trains `run` on the workers, listening at `endpoint`.
    func train(_ run: TrainingRun, endpoint: String, monitor: CoordinatorMonitor?) throws {
        guard let workers else { return }
        guard let shards = run.settings.shards, shards >= workers else {
            throw ValidationError("--workers \(workers) needs at least \(workers) shards; --shards is \(run.settings.shards ?? 1)")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "dlcoord")
        logger.logLevel = run.verbose == 0 ? .notice : .info
        // Checked before anything is read or written; a bind recorded in run.json is parsed as --bind is.
        let keys = try jobKeys(endpoint: Endpoint(endpoint, flag: "--bind", role: .bind))
        if keys.protection.keys == nil && insecure {
            switch keys.protection.reach {
            case .network: logger.warning("--insecure: \(endpoint) admits anyone who reaches it, and nothing on it is encrypted")
            case .thisMachine:
                logger.warning("--insecure: \(endpoint) admits every user of this machine, and nothing on it is encrypted")
            case .owner: break
            }
        }
        // The coordinator streams the rows to the workers; only --audit, which computes shards'
        // gradients again here, holds them.
        try run.run(loadingRows: audit > 0) { job, progress, observers, checkpointer in
            if let openFiles = CommandMain.openFiles {
                logger.info("\(openFiles), \(DescriptorReserve.count) held back for the run's files")
            }
            // Written once the run holds its directory, removed at the end (also when the run fails
            // or is interrupted; a resume removes one that a killed run left).
            var secretFile = keys.protection.secretFile
            if let secret = keys.madeSecret {
                secretFile = run.runDirectory + "/.job-secret"
                try JobSecret.writePrivateFile(secret, to: run.runDirectory + "/.job-secret")
            }
            defer { if keys.madeSecret != nil { unlink(run.runDirectory + "/.job-secret") } }
            let coordinator = Coordinator(
                options: ClusterOptions(
                    bind: endpoint, workers: workers, spawn: spawn,
                    timeouts: .init(
                        registration: waitTimeout.duration, worker: workerTimeout.duration, rejoin: rejoinTimeout.duration),
                    policy: .init(
                        minWorkers: minWorkers, rebalance: rebalance, exchange: exchange, audit: audit,
                        rowChunkSize: run.readChunk),
                    runDirectory: run.runDirectory, keys: keys.protection.keys, secretFile: secretFile,
                    loopbackOnly: keys.protection.reach == .thisMachine, monitor: monitor),
                logger: logger)
            return try coordinator.train(job, progress: progress, observers: observers, checkpointer: checkpointer)
        }
    }

    /// The secret file this run was configured with: --secret-file, or $DLTRAIN_SECRET_FILE.
    var configuredSecretFile: String? { secretFile ?? ProcessInfo.processInfo.environment["DLTRAIN_SECRET_FILE"] }

    /// The job's keys, where they come from and who can reach `endpoint`: the configured secret;
    /// for workers spawned on a TCP endpoint without one, a secret made for this run (written, only
    /// this user can read it, once the run holds its directory); else as EndpointSecurity decides
    /// (none on ipc, this user's local secret on loopback, a refusal on the network).
    private func jobKeys(endpoint: Endpoint) throws -> (protection: EndpointSecurity.Protection, madeSecret: [UInt8]?) {
        if configuredSecretFile == nil && spawn, case .tcp = endpoint.address {
            let secret = JobSecret.generate()
            let reach = EndpointSecurity.reach(of: endpoint, role: .bind)
            return (EndpointSecurity.Protection(keys: JobKeys(secret: secret), secretFile: nil, reach: reach), secret)
        }
        let protection = try EndpointSecurity.protection(
            for: endpoint, role: .bind, secretFile: configuredSecretFile, insecure: insecure)
        return (protection, nil)
    }
}

extension CoordinatorSession.Exchange: ExpressibleByArgument {}
