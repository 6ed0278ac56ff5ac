// dlcoord: the coordinator's command line. With no options it trains the seed job, the Keras lesson
// this project starts from, in this process.

import ArgumentParser
import DLCommandLine
import DLCore
import DLData
import DLMetrics
import DLRun
import DLTraining
import Foundation

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

            With no options, dlcoord trains the seed job: dataset/ThoraricSurgery.csv (in the current \
            directory, else the one installed in PREFIX/share/dltrain beside PREFIX/bin), columns 0-16 as \
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
            settings.data = try SeedData.locate(settings.data)
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
