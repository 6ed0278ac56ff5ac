// TensorBoard event files in the run directory, as Keras's TensorBoard callback writes them, so
// `tensorboard --logdir runs` shows every run's curves, live:
//   train/       epoch_loss, epoch_<metric> and epoch_learning_rate (the report's, when the rate
//                moves, else the optimizer's) at the 0-based epoch; with
//                --log-steps N also batch_loss and batch_<metric> (the epoch's running mean, as
//                Keras logs it) at every Nth optimizer step, counted from 1 across epochs;
//   validation/  the validation values under the same tags (no val_ prefix) at the epoch, and
//                evaluation_<name>_vs_iterations at the optimizer step count.
// Each value is a float32 scalar tensor with the `scalars` plugin's metadata, as tf.summary.scalar
// writes it. (Keras with an integer update_freq also drops the epoch values of epochs that do not
// end on a multiple of it; that is a bug, not copied.) A resumed run writes new files holding the
// checkpoint's history and removes the earlier ones, whose later epochs were trained again, so the
// files always say what metrics.jsonl says.

import DLCore
import DLTraining
import Foundation
import TensorBoardFormat

public final class TensorBoardLog: TrainingObserver {
    /// The run directory: train/ and validation/ are in it.
    public let directory: String
    private let learningRate: Float
    private let logSteps: Int?
    private let train: EventFile
    /// Made at the first validation values, as Keras does: a run without validation has none.
    private var validation: EventFile?
    /// Optimizer steps before the current epoch.
    private var stepsBefore = 0

    /// Starts the run's event files with the epochs of `history` (those before a resumed run's
    /// checkpoint). `logSteps`: write the running training values every that many steps.
    public init(runDirectory: String, history: [EpochReport] = [], learningRate: Float, logSteps: Int? = nil) throws {
        directory = runDirectory
        self.learningRate = learningRate
        self.logSteps = logSteps
        for part in ["train", "validation"] { try Self.removeEventFiles(in: runDirectory + "/" + part) }
        train = try EventFile(directory: runDirectory + "/train")
        for report in history { try write(report) }
    }

    public func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet) {
        guard let logSteps, (stepsBefore + step) % logSteps == 0 else { return }
        let events = metrics.results(runningSums).map { result in
            Self.scalar("batch_" + result.name, result.value, step: stepsBefore + step)
        }
        // A step's values are a view: losing them to a full disk must not stop training; the
        // epoch's values, written next, report the error.
        try? train.append(events)
    }

    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        try write(report)
    }

    private func write(_ report: EpochReport) throws {
        let epoch = report.epoch - 1
        stepsBefore += report.steps
        var training: [Tensorboard_Event] = [], validating: [Tensorboard_Event] = []
        for value in report.values {
            if value.name.hasPrefix("val_") {
                let name = String(value.name.dropFirst(4))
                validating.append(Self.scalar("epoch_" + name, value.value, step: epoch))
                validating.append(Self.scalar("evaluation_\(name)_vs_iterations", value.value, step: stepsBefore))
            } else {
                training.append(Self.scalar("epoch_" + value.name, value.value, step: epoch))
            }
        }
        // A report carries learning_rate when the rate moves (a schedule, ReduceLROnPlateau): written
        // with the others above; otherwise the rate is the optimizer's, all run long.
        if report.value("learning_rate") == nil {
            training.append(Self.scalar("epoch_learning_rate", Double(learningRate), step: epoch))
        }
        try train.append(training)
        if !validating.isEmpty {
            if validation == nil { validation = try EventFile(directory: directory + "/validation") }
            try validation?.append(validating)
        }
    }

    /// tf.summary.scalar's event: a float32 tensor of shape [] tagged for the scalars plugin.
    static func scalar(_ tag: String, _ value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) -> Tensorboard_Event {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtFloat
        tensor.tensorShape = Tensorboard_TensorShapeProto()
        tensor.tensorContent = withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { Data($0) }
        var entry = Tensorboard_Summary.Value()
        entry.tag = tag
        entry.tensor = tensor
        entry.metadata.pluginData.pluginName = "scalars"
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = Int64(step)
        event.summary.value = [entry]
        return event
    }

    /// Removes the event files of an earlier attempt at this run.
    private static func removeEventFiles(in directory: String) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix("events.out.tfevents.") {
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            } catch {
                throw RunError.cannotWrite(path: directory + "/" + name, reason: "cannot remove an earlier event file: \(error.localizedDescription)")
            }
        }
    }
}
