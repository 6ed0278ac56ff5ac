// dlcoord: the coordinator's command line. With no options it trains the seed job, the Keras lesson
// this project starts from, in this process.

import ArgumentParser
import DLCommandLine
import DLCore
import DLData
import DLCoordinator
import DLMetrics
import DLRun
import DLTraining
import DLTransport
import Foundation
import Logging

@main
struct DLCoord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlcoord",
        abstract: "Train a dense neural network on a numeric CSV table, with Keras's semantics.",
        discussion: """
            dlcoord --local trains in this process. dlcoord --workers N waits for N dlworker \
            processes (started by hand, before or after it, or by --spawn on this machine), deals the \
            rows into S logical shards (--shards, default N), sends each worker its shards' rows, and \
            averages their gradients synchronously. The result is the same to the bit as --local \
            with the same --shards.

            With no options, dlcoord trains the seed job: dataset/ThoraricSurgery.csv, columns 0-16 as \
            features and column 17 as label, Dense(30, relu) then Dense(1, sigmoid), mean_squared_error, \
            adam, 100 epochs of batch 10, seed 3.

            Settings come from the seed job, then from --config FILE (a JSON job file), then from the \
            flags, each overriding the one before. Columns are 0-based indices, A-B index ranges, or \
            header names. The trained model depends only on the data, the settings, --seed and \
            --shards: never on timing or on the number of processes.

            The run directory receives metrics.jsonl (one JSON object per epoch) and \
            model.safetensors (the weights, with the architecture, feature columns, standardization \
            and label mapping in its metadata). See docs/cli.md.
            """,
        version: DLTrainVersion.current)

    @Flag(help: "Train in this process, computing every shard here (the default without --workers).")
    var local = false

    @OptionGroup(title: "Distributed training")
    var clusterOptions: ClusterArguments

    @OptionGroup(title: "Checkpoints and resuming")
    var checkpointOptions: CheckpointArguments

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @OptionGroup(title: "Model and training")
    var trainingOptions: TrainingOptions

    @Option(name: .customLong("config"), help: ArgumentHelp("A JSON job file with the same settings (flags override it).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp(
        "Where to write metrics.jsonl, curves.svg, TensorBoard's train/ and validation/ event files, checkpoints and "
            + "model.safetensors (default: runs/<date-time>; `tensorboard --logdir runs` shows every run).",
        valueName: "dir"))
    var runDirectory: String?

    @Option(name: .customLong("log-steps"), help: ArgumentHelp(
        "Also log the training loss and metrics to TensorBoard every N steps (batch_loss, ...: the epoch's running mean, "
            + "as Keras's TensorBoard(update_freq=N) does).",
        valueName: "n"))
    var logSteps: Int?

    @Option(name: .customLong("metrics-address"), help: ArgumentHelp(
        "Serve the run's state at http://HOST:PORT/metrics in the Prometheus text format while it trains: its state, "
            + "epoch and step, samples per second, the last epoch's loss and metrics, the workers, their compute time, the "
            + "coordinator's traffic, the checkpoints. HOST is an IPv4 address, 0.0.0.0 for every interface. No secret "
            + "guards it, and it shows no data, only these figures.",
        valueName: "host:port"))
    var metricsAddress: String?

    @Option(name: .customLong("read-chunk"), help: ArgumentHelp(
        "Bytes of the data file read and parsed at once (default 64 MiB). The file is never held whole: --local holds "
            + "its rows as float32 and this much of the file; a coordinator holds a few chunks and sends each row to the "
            + "worker that owns its shard. The weights do not depend on it.",
        valueName: "bytes"))
    var readChunk: Int = CSVDocument.defaultChunkSize

    @Option(help: ArgumentHelp("0 silent, 1 a progress bar on a terminal (one line per epoch otherwise), 2 one line per epoch.", valueName: "0|1|2"))
    var verbose: Int = 1

    @Option(help: ArgumentHelp("Threads this process computes with: --local's steps, the coordinator's updates (default: the CPUs this process may run on, \(AvailableCPUs.count()) here). The weights do not depend on it.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        guard (0...2).contains(verbose) else { throw ValidationError("--verbose must be 0, 1 or 2") }
        if local && clusterOptions.workers != nil { throw ValidationError("--local and --workers exclude each other") }
        if clusterOptions.spawn && clusterOptions.workers == nil { throw ValidationError("--spawn needs --workers N") }
        if !(0...1).contains(clusterOptions.audit) {
            throw ValidationError("--audit is a fraction from 0 to 1; got \(clusterOptions.audit)")
        }
        if clusterOptions.audit != 0 && clusterOptions.workers == nil {
            throw ValidationError("--audit checks workers' gradients: it needs --workers N")
        }
        if let workers = clusterOptions.workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let logSteps, logSteps < 1 { throw ValidationError("--log-steps must be at least 1") }
        if readChunk < 1 { throw ValidationError("--read-chunk must be at least 1 byte") }
    }

    func run() throws {
        ComputePool.shared = ComputePool(threads: threads ?? AvailableCPUs.count())
        do {
            var settings: JobSettings
            var resume: (checkpoint: Checkpoint, path: String)?
            if let resumeDirectory = try checkpointOptions.resumeDirectory(runDirectory: runDirectory) {
                let found = try Checkpointer.newest(in: resumeDirectory) { note in
                    FileHandle.standardError.write(Data("dlcoord: \(note)\n".utf8))
                }
                // --resume auto keeps the whole command line, --config included: the job it describes must
                // be the checkpoint's.
                var requested = try config.map(JobFile.read) ?? found.checkpoint.settings
                dataOptions.apply(to: &requested)
                trainingOptions.apply(to: &requested)
                if let workers = clusterOptions.workers { requested.shards = requested.shards ?? workers }
                settings = try Resumption.settings(checkpoint: found.checkpoint.settings, requested: requested)
                resume = found
            } else {
                settings = try config.map(JobFile.read) ?? JobSettings()
                dataOptions.apply(to: &settings)
                trainingOptions.apply(to: &settings)
            }
            let runDirectory = self.runDirectory ?? checkpointOptions.resume.flatMap { $0 == CheckpointArguments.auto ? nil : $0 }
                ?? RunDirectory.defaultPath()
            if let workers = clusterOptions.workers { settings.shards = settings.shards ?? workers }
            let served = try startMetrics()
            defer { served?.server.stop() }
            let metrics = served?.metrics
            var checkpointWritten: (@Sendable (String) -> Void)?
            if let metrics { checkpointWritten = { _ in metrics.checkpointWritten() } }
            let run = TrainingRun(
                settings: settings, runDirectory: runDirectory, verbose: verbose, checkpoints: checkpointOptions.policy,
                resume: resume, observers: metrics.map { [$0] } ?? [], checkpointWritten: checkpointWritten,
                logSteps: logSteps, readChunk: readChunk)
            do {
                if clusterOptions.workers != nil {
                    try clusterOptions.train(run, monitor: metrics)
                } else {
                    try run.runLocally()
                }
                metrics?.set(.finished)
            } catch {
                metrics?.set(.failed)
                throw error
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("dlcoord: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension DLCoord {
    /// With --metrics-address: the run's metrics and their server, listening.
    private func startMetrics() throws -> (metrics: RunMetrics, server: MetricsServer)? {
        guard let metricsAddress else { return nil }
        let metrics = RunMetrics()
        let server = try MetricsServer(address: metricsAddress, metrics: metrics)
        try server.start()
        if verbose > 0 { FileHandle.standardOutput.write(Data("Metrics: \(server.url)\n".utf8)) }
        return (metrics, server)
    }
}

struct ClusterArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Train on N dlworker processes.", valueName: "n"))
    var workers: Int?

    @Flag(help: "Start the --workers as child processes on this machine, and stop them at the end.")
    var spawn = false

    @Option(help: ArgumentHelp("Where workers connect: tcp://*:5555 by default, or an ipc:// path; with --spawn a private ipc path.", valueName: "endpoint"))
    var bind: String?

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long to wait for the workers to register, in seconds.", valueName: "s"))
    var waitTimeout: Double = 60

    @Option(name: .customLong("worker-timeout"), help: ArgumentHelp("Silence after which a worker counts as lost and its shards move to the others, in seconds.", valueName: "s"))
    var workerTimeout: Double = 15

    @Option(name: .customLong("min-workers"), help: ArgumentHelp("Below this many workers the run pauses and waits for more.", valueName: "n"))
    var minWorkers: Int = 1

    @Option(name: .customLong("rejoin-timeout"), help: ArgumentHelp("How long a paused run waits for workers before it stops with a checkpoint, in seconds.", valueName: "s"))
    var rejoinTimeout: Double = 60

    @Flag(inversion: .prefixedNo, help: "Give shards to workers that join during the run.")
    var rebalance = true

    @Option(
        name: .customLong("secret-file"),
        help: ArgumentHelp(
            "The job's secret (default: $DLTRAIN_SECRET_FILE): only workers holding the same file are admitted, and all "
                + "traffic is encrypted (CURVE). Needed to bind a TCP endpoint other machines reach; only its owner may read "
                + "it. Make one with: \(JobSecret.makeCommand)", valueName: "path"))
    var secretFile: String?

    @Flag(help: "Bind a TCP endpoint other machines reach without a secret: anyone who reaches it could join the job and read its data. Only on networks you trust.")
    var insecure = false

    @Option(help: ArgumentHelp(
        "How each step's gradient is summed: star (at the coordinator: one hop each way, but its link carries every "
            + "worker's gradient), ring (around the workers: each host's link carries about twice the model, whatever the "
            + "number of workers), or auto (star for models of at most 16,384 parameters, ring above). The trained weights "
            + "are the same bits either way.",
        valueName: "auto|star|ring"))
    var exchange: CoordinatorSession.Exchange = .auto

    @Option(help: ArgumentHelp(
        "Check the workers: the coordinator computes this fraction of the shards' gradients again, drawn at random "
            + "each step after the workers sent theirs, and compares them bit for bit (in a ring, by their SHA-256 digests). "
            + "A worker whose gradient differs (silent corruption, or a worker that lies) is named and excluded, and the "
            + "step runs again without it: the weights stay those of an undisturbed run. 1 checks every gradient. In a "
            + "star the coordinator checks the very gradients it adds; in a ring, the ones each worker computed (see "
            + "docs/security.md).",
        valueName: "fraction"))
    var audit: Double = 0

    func train(_ run: TrainingRun, monitor: CoordinatorMonitor?) throws {
        guard let workers else { return }
        guard let shards = run.settings.shards, shards >= workers else {
            throw ValidationError("--workers \(workers) needs at least \(workers) shards; --shards is \(run.settings.shards ?? 1)")
        }
        guard minWorkers >= 1 else { throw ValidationError("--min-workers must be at least 1") }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "dlcoord")
        logger.logLevel = run.verbose == 0 ? .notice : .info
        let endpoint = bind ?? (spawn ? "ipc://\(NSTemporaryDirectory())/dltrain-\(getpid()).ipc" : "tcp://*:5555")
        let (keys, secretFile) = try jobKeys(endpoint: endpoint, runDirectory: run.runDirectory)
        defer { if let secretFile, secretFile != configuredSecretFile { unlink(secretFile) } }
        if keys == nil && insecure && !EndpointSecurity.isLocal(endpoint) {
            logger.warning("--insecure: \(endpoint) admits anyone who reaches it, and nothing on it is encrypted")
        }
        let coordinator = Coordinator(
            options: ClusterOptions(
                bind: endpoint, workers: workers, spawn: spawn,
                timeouts: .init(
                    registration: .seconds(waitTimeout), worker: .seconds(workerTimeout), rejoin: .seconds(rejoinTimeout)),
                policy: .init(
                    minWorkers: minWorkers, rebalance: rebalance, exchange: exchange, audit: audit,
                    rowChunkSize: run.readChunk),
                runDirectory: run.runDirectory, keys: keys, secretFile: secretFile, monitor: monitor),
            logger: logger)
        // The coordinator streams the rows to the workers; only --audit, which computes shards'
        // gradients again here, holds them.
        try run.run(loadingRows: audit > 0) { job, progress, observers, checkpointer in
            try coordinator.train(job, progress: progress, observers: observers, checkpointer: checkpointer)
        }
    }

    private var configuredSecretFile: String? { secretFile ?? ProcessInfo.processInfo.environment["DLTRAIN_SECRET_FILE"] }

    /// The job's keys and the secret file spawned workers get: the configured secret; for workers
    /// spawned on a TCP endpoint without one, a secret made for this run (in a file only this user
    /// can read, removed at the end); none where the endpoint needs none.
    private func jobKeys(endpoint: String, runDirectory: String) throws -> (JobKeys?, String?) {
        if configuredSecretFile == nil && spawn && !EndpointSecurity.isLocal(endpoint) {
            let path = runDirectory + "/.job-secret"
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            let secret = JobSecret.generate()
            try JobSecret.writePrivateFile(secret, to: path)
            return (JobKeys(secret: secret), path)
        }
        let keys = try EndpointSecurity.keys(endpoint: endpoint, secretFile: configuredSecretFile, insecure: insecure)
        return (keys, keys == nil ? nil : configuredSecretFile)
    }
}

struct CheckpointArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Continue the run in this directory from its newest intact checkpoint (with --local or --workers N; only --epochs "
            + "may change). `--resume auto` with --run-dir DIR continues the run in DIR if it has a checkpoint and starts it "
            + "there otherwise, so one command line serves a first start and every restart (a requeued Slurm job, a "
            + "restarted pod); a run that finished is not trained again.",
        valueName: "run-dir|auto"))
    var resume: String?

    static let auto = "auto"

    /// The directory to resume from: --resume's, or with `--resume auto` the run directory if it holds a
    /// checkpoint (nil: start afresh).
    func resumeDirectory(runDirectory: String?) throws -> String? {
        guard let resume else { return nil }
        guard resume == Self.auto else { return resume }
        guard let runDirectory else {
            throw ValidationError("--resume auto continues the run in --run-dir DIR if it has a checkpoint: give --run-dir")
        }
        return Checkpointer.paths(in: runDirectory).isEmpty ? nil : runDirectory
    }

    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp("Write a checkpoint every N epochs (and after the last).", valueName: "n"))
    var checkpointEvery: Int = 1

    @Option(name: .customLong("checkpoint-every-steps"), help: ArgumentHelp("Also write one every N steps within an epoch.", valueName: "n"))
    var checkpointEverySteps: Int?

    @Option(help: ArgumentHelp("How many checkpoints to keep, newest first.", valueName: "n"))
    var keep: Int = 3

    func validate() throws {
        guard checkpointEvery >= 1, (checkpointEverySteps ?? 1) >= 1, keep >= 1 else {
            throw ValidationError("--checkpoint-every, --checkpoint-every-steps and --keep must be at least 1")
        }
    }

    @Flag(name: .customLong("save-best"), help: "Write model-best.safetensors after each epoch with the best --monitor value so far (Keras's ModelCheckpoint(save_best_only=True)).")
    var saveBest = false

    var policy: CheckpointPolicy {
        CheckpointPolicy(everyEpochs: checkpointEvery, everySteps: checkpointEverySteps, keep: keep, saveBest: saveBest)
    }
}

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CSV file to train on.", valueName: "path"))
    var data: String?

    @OptionGroup var format: CSVFormatOptions

    @Option(name: .customLong("label-column"), help: ArgumentHelp("The label column(s), comma-separated (default: the last column).", valueName: "columns"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("The feature columns, comma-separated (default: every other column).", valueName: "columns"))
    var features: String?

    @Option(name: .customLong("validation-split"), help: ArgumentHelp("The fraction of rows, taken from the end of the file before any shuffling, held out for validation.", valueName: "fraction"))
    var validationSplit: Double?

    @Flag(inversion: .prefixedNo, help: "Standardize the features to z-scores fitted on the training rows.")
    var standardize: Bool?

    func apply(to settings: inout JobSettings) {
        if let data { settings.data = data }
        format.apply(to: &settings)
        if let labelColumn { settings.labelColumn = JobSettings.splitList(labelColumn) }
        if let features { settings.features = JobSettings.splitList(features) }
        if let validationSplit { settings.validationSplit = validationSplit }
        if let standardize { settings.standardize = standardize }
    }
}

struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Dense layers as UNITS:ACTIVATION, comma-separated, e.g. 30:relu,1:sigmoid.", valueName: "layers"))
    var layers: String?

    @Option(help: ArgumentHelp("The loss, by its Keras name or alias (mse, mae, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy).", valueName: "name"))
    var loss: String?

    @Option(help: ArgumentHelp("sgd, adam, rmsprop or adagrad, with Keras's defaults.", valueName: "name"))
    var optimizer: String?

    @Option(name: .customLong("learning-rate"), help: ArgumentHelp("The optimizer's learning rate (default: Keras's for that optimizer).", valueName: "rate"))
    var learningRate: Double?

    @Option(name: .customLong("optimizer-args"), help: ArgumentHelp("Further optimizer arguments under their Keras names, e.g. momentum=0.9,nesterov=true.", valueName: "k=v,..."))
    var optimizerArguments: String?

    @Option(help: ArgumentHelp("Metrics, comma-separated: accuracy, mae, mse, auc.", valueName: "names"))
    var metrics: String?

    @Option(help: ArgumentHelp("How many passes over the training rows.", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("The global batch: rows per step over all shards.", valueName: "n"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("Fixes the initial weights, the shard deal and every shuffle.", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("The number of logical shards S the rows are dealt into.", valueName: "n"))
    var shards: Int?

    @Option(
        name: .customLong("early-stopping-patience"),
        help: ArgumentHelp("Stop after this many epochs without improvement of --monitor, as Keras's EarlyStopping.", valueName: "n"))
    var earlyStoppingPatience: Int?

    @Option(help: ArgumentHelp(
        "The value early stopping watches (default val_loss): loss or a metric, val_ for the validation rows; "
            + "lower is better for losses and errors, higher for accuracy and auc.", valueName: "name"))
    var monitor: String?

    @Option(name: .customLong("min-delta"), help: ArgumentHelp("The least change of --monitor that counts as an improvement.", valueName: "d"))
    var minDelta: Double?

    @Flag(name: .customLong("restore-best-weights"), help: "With early stopping, end with the weights of the best epoch instead of the last.")
    var restoreBestWeights = false

    func validate() throws {
        _ = try parsedOptimizerArguments()
    }

    /// `momentum=0.9,nesterov=true` as Keras-named numbers (true and false as 1 and 0).
    func parsedOptimizerArguments() throws -> [String: Double] {
        var arguments: [String: Double] = [:]
        for item in JobSettings.splitList(optimizerArguments ?? "") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0) }
            let value = parts.count == 2 ? (parts[1] == "true" ? 1 : parts[1] == "false" ? 0 : Double(parts[1])) : nil
            guard let value else {
                throw ValidationError("--optimizer-args: \"\(item)\" is not NAME=NUMBER (or NAME=true/false)")
            }
            arguments[parts[0]] = value
        }
        return arguments
    }

    func apply(to settings: inout JobSettings) {
        if let layers { settings.layers = layers }
        // Validated in validate(); the parse cannot fail here.
        if optimizerArguments != nil, let arguments = try? parsedOptimizerArguments() {
            settings.optimizerArguments.merge(arguments) { _, new in new }
        }
        if let loss { settings.loss = loss }
        if let optimizer { settings.optimizer = optimizer }
        if let learningRate { settings.learningRate = learningRate }
        if let metrics { settings.metrics = JobSettings.splitList(metrics) }
        if let epochs { settings.epochs = epochs }
        if let batchSize { settings.batchSize = batchSize }
        if let seed { settings.seed = seed }
        if let shards { settings.shards = shards }
        if let earlyStoppingPatience { settings.earlyStoppingPatience = earlyStoppingPatience }
        if let monitor { settings.monitor = monitor }
        if let minDelta { settings.minDelta = minDelta }
        if restoreBestWeights { settings.restoreBestWeights = true }
    }
}

extension CoordinatorSession.Exchange: ExpressibleByArgument {}
