// ReduceLROnPlateau in a run's files: each epoch's line, metrics.jsonl and TensorBoard's
// epoch_learning_rate show the rate the epoch trained with (Keras logs it before lowering it); a
// model file names the rule and the rate at the end (dlmodel summary shows them); a
// checkpoint keeps the rule's state and the lowered rate, so a run resumed after a reduction goes on
// with the reduced rate and ends as the run that never stopped, bit for bit; a checkpoint whose rate
// or state no run writes, or whose rule is not the job's, is refused.

import DLCore
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class PlateauRunTests: XCTestCase {
    private func settings(epochs: Int) -> JobSettings {
        var settings = JobSettings.breastCancerJob
        settings.epochs = epochs
        settings.shards = 2
        // Gains below min_delta from the start: the rate halves after every epoch but the first.
        settings.fit.reduceLROnPlateau = "factor=0.5,patience=1,min_delta=10"
        return settings
    }

    func testEveryOutputShowsTheRateEachEpochTrainedWith() throws {
        let directory = try temporaryDirectory(self)
        var text = ""
        let (history, model) = try TrainingRun(settings: settings(epochs: 3), runDirectory: directory, verbose: 2, output: { text += $0 })
            .runLocally()
        let rate = Double(Float(0.001))
        XCTAssertEqual(history.map { $0.value("learning_rate") }, [rate, rate, rate / 2])
        let lines = text.split(separator: "\n").filter { $0.contains(" - loss: ") }
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.map { $0.hasSuffix(" - learning_rate: 0.0010") || $0.hasSuffix(" - learning_rate: 5.0000e-04") }, [true, true, true])
        XCTAssertEqual(try MetricsLog.read(path: directory + "/metrics.jsonl").map(\.values), history.map(\.values))
        let events = try TensorBoardEvents.read(directory)
        XCTAssertEqual(events.train["epoch_learning_rate"], [[0, rate], [1, rate], [2, Double(Float(rate / 2))]])

        // The model file says which rule trained it and the rate training would go on with.
        let read = try ModelFile.read(path: directory + "/model.safetensors")
        XCTAssertEqual(read, model)
        XCTAssertEqual(read.training.reduceLROnPlateau, try XCTUnwrap(try TrainingJob(settings(epochs: 3)).reduceLROnPlateau).text)
        XCTAssertEqual(read.training.learningRate, Float(0.001) / 4)
        let summary = ModelSummary.text(of: read)
        XCTAssertTrue(summary.contains("ReduceLROnPlateau: monitor=val_loss,factor=0.5,patience=1,mode=auto"), summary)
        XCTAssertTrue(ModelSummary.json(of: read).contains(#""reduce_lr_on_plateau":"monitor=val_loss"#))
    }

    func testAResumeAfterAReductionGoesOnWithTheReducedRate() throws {
        let job = try TrainingJob(settings(epochs: 5))
        let uninterrupted = LocalTrainer(job: job)
        try uninterrupted.train()

        // Stopped mid-way through the fourth epoch, two reductions in.
        let stopped = LocalTrainer(job: job)
        try stopped.train(stopRequested: { stopped.progress.position == TrainingPosition(epoch: 3, step: 2) })
        let path = try temporaryDirectory(self) + "/c.safetensors"
        try Checkpoint(job: job, progress: stopped.progress).write(to: path)
        let checkpoint = try Checkpoint.read(path: path)
        XCTAssertEqual(checkpoint.optimizer.learningRate, Float(0.001) / 4)
        XCTAssertEqual(checkpoint.reduceLROnPlateau, stopped.progress.reduceLROnPlateau)
        XCTAssertEqual(checkpoint.reduceLROnPlateau?.wait, 0)
        try Resumption.check(job, against: checkpoint, path: path)
        let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
        XCTAssertEqual(resumed.progress.optimizer, stopped.progress.optimizer)
        XCTAssertEqual(resumed.progress.reduceLROnPlateau, stopped.progress.reduceLROnPlateau)
        try resumed.train()
        XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern))
        XCTAssertEqual(resumed.progress.history.map(\.values), uninterrupted.progress.history.map(\.values))
        XCTAssertEqual(resumed.progress.optimizer.learningRate, uninterrupted.progress.optimizer.learningRate)
    }

    func testACheckpointWithARateOrStateNoRunWritesIsRefused() throws {
        let job = try TrainingJob(settings(epochs: 2))
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let good = Checkpoint(job: job, progress: trainer.progress)
        let rule = try XCTUnwrap(job.reduceLROnPlateau)
        var changes: [(String, (inout Checkpoint) -> Void)] = [
            ("a rate above the configured one", { $0.optimizer.setLearningRate(0.01) }),
            ("a rate of 0", { $0.optimizer.setLearningRate(0) }),
            ("a lowered rate without the rule", { $0.reduceLROnPlateau = nil }),
            ("a wait beyond the epochs", { $0.reduceLROnPlateau = ReduceLROnPlateau(rule: rule, best: 1, wait: 5, cooldownCounter: 0) }),
            ("no best after two epochs", { $0.reduceLROnPlateau = ReduceLROnPlateau(rule: rule, best: nil, wait: 0, cooldownCounter: 0) }),
            ("a cooldown beyond the rule's", { $0.reduceLROnPlateau = ReduceLROnPlateau(rule: rule, best: 1, wait: 0, cooldownCounter: 1) }),
            ("a factor of 1", {
                $0.reduceLROnPlateau = ReduceLROnPlateau(rule: .init(factor: 1), best: 1, wait: 0, cooldownCounter: 0)
            }),
        ]
        changes.append(("nothing", { _ in }))
        for (what, change) in changes {
            var checkpoint = good
            change(&checkpoint)
            let read = Result { try Checkpoint(decoding: checkpoint.encoded(), path: "c") }
            if what == "nothing" {
                XCTAssertEqual(try read.get(), good)
                continue
            }
            XCTAssertThrowsError(try read.get(), what) {
                guard case .inconsistentCheckpoint("c", _)? = $0 as? RunError else { return XCTFail("\(what): \($0)") }
            }
        }

        // Another rule (or none) than the job's: refused on resuming, naming ReduceLROnPlateau.
        var other = settings(epochs: 2)
        other.fit.reduceLROnPlateau = "factor=0.2"
        XCTAssertThrowsError(try Resumption.check(try TrainingJob(other), against: good, path: "c")) {
            guard case let .inconsistentCheckpoint(_, reason)? = $0 as? RunError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.hasPrefix("ReduceLROnPlateau"), reason)
        }
    }
}
