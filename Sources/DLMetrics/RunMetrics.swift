// What `dlcoord --metrics-address` serves at /metrics, in the Prometheus text format: the run's
// state and position, its speed, the latest epoch's loss and metrics under their Keras names, and,
// for a distributed run, the workers, their compute time and the coordinator's traffic, and the
// checkpoints. It learns them as a training observer (every run) and as the coordinator's monitor
// (a distributed one); swift-prometheus keeps the values and writes the text. docs/deploy.md lists
// every metric.

import DLCore
import DLCoordinator
import DLTraining
import Foundation
import Prometheus

public final class RunMetrics: TrainingObserver, CoordinatorMonitor, @unchecked Sendable {
    /// The states of dltrain_run_state, one of which is 1 at a time.
    public enum State: String, CaseIterable, Sendable {
        case starting, training, finished, failed
    }

    private let registry = PrometheusCollectorRegistry()
    private let states: [State: Gauge]
    private let epoch, epochs, step, stepsPerEpoch, samplesPerSecond, epochSeconds: Gauge
    private let workersLive: Gauge
    private let workersRegistered, workersLost, workersJoined: Counter
    private let bytesSent, bytesReceived: Counter
    private let checkpointsWritten: Counter
    private let checkpointTime, checkpointAge: Gauge
    /// Guards what the scrape and the training threads share beyond the registry's own values.
    private let lock = NSLock()
    private var epochValues: [String: Gauge] = [:]
    private var workerStepSeconds: [String: Gauge] = [:]
    private var trainingRows = 0
    private var lastCheckpoint: Date?
    private var live = 0

    public init() {
        var states: [State: Gauge] = [:]
        for state in State.allCases {
            states[state] = registry.makeGauge(
                name: "dltrain_run_state", labels: [("state", state.rawValue)],
                help: "1 for the state the run is in (starting, training, finished, failed), 0 for the others")
        }
        self.states = states
        epoch = registry.makeGauge(name: "dltrain_epoch", help: "The epoch being trained (1-based), or the last one")
        epochs = registry.makeGauge(name: "dltrain_epochs", help: "The epochs the run trains in all")
        step = registry.makeGauge(name: "dltrain_step", help: "The steps of the current epoch done")
        stepsPerEpoch = registry.makeGauge(name: "dltrain_steps_per_epoch", help: "The steps of each epoch")
        samplesPerSecond = registry.makeGauge(
            name: "dltrain_samples_per_second", help: "Training rows per second over the last epoch")
        epochSeconds = registry.makeGauge(name: "dltrain_epoch_seconds", help: "How long the last epoch took")
        workersLive = registry.makeGauge(name: "dltrain_workers", help: "Workers registered and not lost")
        workersRegistered = registry.makeCounter(
            name: "dltrain_workers_registered_total", help: "Workers that registered with the coordinator")
        workersLost = registry.makeCounter(name: "dltrain_workers_lost_total", help: "Workers lost (or excluded) during the run")
        workersJoined = registry.makeCounter(
            name: "dltrain_workers_joined_total", help: "Workers that joined after the run began (beyond --workers N)")
        bytesSent = registry.makeCounter(name: "dltrain_bytes_sent_total", help: "Bytes the coordinator sent its workers")
        bytesReceived = registry.makeCounter(
            name: "dltrain_bytes_received_total", help: "Bytes the coordinator received from its workers")
        checkpointsWritten = registry.makeCounter(name: "dltrain_checkpoints_written_total", help: "Checkpoints written")
        checkpointTime = registry.makeGauge(
            name: "dltrain_last_checkpoint_timestamp_seconds", help: "When the newest checkpoint was written (Unix time)")
        checkpointAge = registry.makeGauge(
            name: "dltrain_last_checkpoint_age_seconds", help: "Seconds since the newest checkpoint was written")
        set(.starting)
    }

    /// The metrics as Prometheus's text exposition format, as of now.
    public func exposition() -> [UInt8] {
        lock.withLock {
            if let lastCheckpoint { checkpointAge.set(Date().timeIntervalSince(lastCheckpoint)) }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    public func set(_ state: State) {
        for (each, gauge) in states { gauge.set(each == state ? 1.0 : 0.0) }
    }

    // MARK: TrainingObserver

    public func runStarted(_ job: TrainingJob, at position: TrainingPosition) {
        lock.withLock { trainingRows = job.data.trainingCount }
        epochs.set(Int64(job.settings.epochs))
        stepsPerEpoch.set(Int64(job.schedule.stepsPerEpoch))
        epoch.set(Int64(min(position.epoch + 1, job.settings.epochs)))
        step.set(Int64(position.step))
    }

    public func epochStarted(epoch: Int, of epochs: Int, steps: Int) {
        set(.training)
        self.epoch.set(Int64(epoch))
        step.set(Int64(0))
    }

    public func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet) {
        self.step.set(Int64(step))
    }

    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        epochSeconds.set(report.seconds)
        let rows = lock.withLock { trainingRows }
        if report.seconds > 0 { samplesPerSecond.set(Double(rows) / report.seconds) }
        for value in report.values {
            gauge(value.name, in: \.epochValues, name: "dltrain_epoch_metric", label: "name",
                help: "The last epoch's loss and metrics, under their Keras names (val_ for the validation split)")
                .set(value.value)
        }
    }

    /// A checkpoint reached the disk.
    public func checkpointWritten() {
        let now = Date()
        lock.withLock { lastCheckpoint = now }
        checkpointsWritten.increment()
        checkpointTime.set(now.timeIntervalSince1970)
        checkpointAge.set(0.0)
    }

    // MARK: CoordinatorMonitor

    public func observe(_ event: CoordinatorEvent) {
        switch event {
        case let .workerJoined(_, expected):
            workersRegistered.increment()
            if expected == nil { workersJoined.increment() }
            workersLive.set(Int64(lock.withLock { live += 1; return live }))
        case let .workerLost(worker, _), let .workerExcluded(worker, _):
            workersLost.increment()
            workersLive.set(Int64(lock.withLock { live -= 1; return live }))
            gauge(worker.info.name, in: \.workerStepSeconds, name: "dltrain_worker_step_seconds", label: "worker",
                help: workerStepHelp).set(0.0)
        default:
            break
        }
    }

    public func tick(sentBytes: Int, receivedBytes: Int, workerStepTimes: [(name: String, millisecondsPerStep: Double)]) {
        if sentBytes > 0 { bytesSent.increment(by: Int64(sentBytes)) }
        if receivedBytes > 0 { bytesReceived.increment(by: Int64(receivedBytes)) }
        for (name, milliseconds) in workerStepTimes {
            gauge(name, in: \.workerStepSeconds, name: "dltrain_worker_step_seconds", label: "worker", help: workerStepHelp)
                .set(milliseconds / 1000)
        }
    }

    private let workerStepHelp = "Each worker's compute time per step over the current epoch (0 once it is lost)"

    /// The gauge of one label value of a labelled family, made the first time it is asked for.
    private func gauge(
        _ value: String, in family: ReferenceWritableKeyPath<RunMetrics, [String: Gauge]>, name: String, label: String,
        help: String
    ) -> Gauge {
        lock.withLock {
            if let gauge = self[keyPath: family][value] { return gauge }
            let gauge = registry.makeGauge(name: name, labels: [(label, value)], help: help)
            self[keyPath: family][value] = gauge
            return gauge
        }
    }
}
