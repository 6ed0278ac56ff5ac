// The optimizer options in the run's files: a checkpoint keeps the state of every slot (amsgrad's
// velocity_hat, use_ema's average) and the schedule, and a run resumed from any of its checkpoints
// ends with the uninterrupted run's weights and final (averaged) model; the model file keeps the
// schedule; a misspelt schedule is refused under its job-file key before anything is read.

import DLCore
@testable import DLRun
import DLTraining
import DLTestSupport
import Foundation
import XCTest

final class OptimizerCheckpointTests: XCTestCase {
    private func job(epochs: Int = 3) throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.epochs = epochs
        settings.shards = 2
        settings.optimizer = "adamw"
        settings.optimizerArguments = ["amsgrad": 1, "use_ema": 1, "ema_momentum": 0.9, "clipnorm": 0.5]
        settings.fit.lrSchedule = "cosine_decay:decay_steps=40,warmup_target=0.01,warmup_steps=10"
        return try TrainingJob(settings)
    }

    func testResumingWithEveryOptionEndsAsTheUninterruptedRun() throws {
        let job = try job()
        XCTAssertEqual(job.optimizer.slotNames, ["momentum", "velocity", "velocity_hat", "average"])
        let uninterrupted = LocalTrainer(job: job)
        try uninterrupted.train()
        let directory = try temporaryDirectory(self)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(everySteps: 17, keep: 100))
        try LocalTrainer(job: job).train(checkpointer: checkpointer)
        try checkpointer.finish()
        let paths = Checkpointer.paths(in: directory)
        XCTAssertGreaterThan(paths.count, 2)
        for path in paths {
            let checkpoint = try Checkpoint.read(path: path)
            XCTAssertEqual(checkpoint.optimizer.config, job.optimizer, path)
            let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
            try resumed.train()
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern), path)
            XCTAssertEqual(
                resumed.progress.finalParameters.map(\.bitPattern), uninterrupted.progress.finalParameters.map(\.bitPattern), path)
        }
        XCTAssertNotEqual(uninterrupted.progress.finalParameters, uninterrupted.parameters, "use_ema's model is the average")
    }

    func testTheModelFileKeepsTheSchedule() throws {
        let job = try job(epochs: 1)
        let model = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
        let path = try temporaryDirectory(self) + "/m.safetensors"
        try model.write(to: path)
        let read = try ModelFile.read(path: path)
        XCTAssertEqual(read.optimizerSchedule, job.optimizer.schedule?.text)
        XCTAssertEqual(
            try OptimizerConfig(name: read.optimizer, arguments: read.optimizerArguments, schedule: read.optimizerSchedule),
            job.optimizer)
        XCTAssertTrue(read.optimizerSchedule?.hasPrefix("cosine_decay:initial_learning_rate=0.001,") == true)
    }

    func testAMisspeltScheduleIsRefusedUnderItsKey() {
        var settings = JobSettings.breastCancerJob
        settings.fit.lrSchedule = "cosine:decay_steps=10"
        XCTAssertThrowsError(try settings.validate()) { error in
            guard case let .badSetting(key, value, reason)? = error as? JobError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "lr_schedule")
            XCTAssertEqual(value, "cosine:decay_steps=10")
            XCTAssertTrue(reason.contains("did you mean cosine_decay?"), reason)
        }
    }
}
