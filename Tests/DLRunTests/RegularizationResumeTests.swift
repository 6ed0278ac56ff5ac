// A regularized run resumed from any of its checkpoints ends with the uninterrupted run's weights
// and reports (the penalty's gradient and its share of loss and val_loss continue as they were),
// and a resume that changes a regularizer or the layers' options is refused, naming the setting.

import DLCore
@testable import DLRun
import DLTestSupport
import DLTraining
import XCTest

final class RegularizationResumeTests: XCTestCase {
    private func settings() -> JobSettings {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 2
        settings.shards = 2
        settings.layers = "dropout:0.1,16:relu:l1=0.001,auto"
        settings.fit.kernelRegularizer = "l2:0.01"
        settings.fit.biasRegularizer = "l1_l2:l1=0.01,l2=0.02"
        settings.fit.kernelInitializer = "lecun_normal"
        return settings
    }

    func testAResumedRegularizedRunEndsAsTheUninterruptedOne() throws {
        let job = try TrainingJob(settings())
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
            try Resumption.check(job, against: checkpoint, path: path)
            let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
            try resumed.train()
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern), path)
            XCTAssertEqual(resumed.progress.history.map(\.values), uninterrupted.progress.history.map(\.values), path)
        }

        let path = try XCTUnwrap(paths.first)
        let checkpoint = try Checkpoint.read(path: path)
        for (change, key) in [
            ({ (s: inout JobSettings) in s.fit.kernelRegularizer = "l2:0.02" }, "kernel_regularizer"),
            ({ (s: inout JobSettings) in s.layers = "dropout:0.1,16:relu:l1=0.002,auto" }, "layers"),
        ] {
            var other = settings()
            change(&other)
            other.epochs = checkpoint.settings.epochs
            XCTAssertThrowsError(try Resumption.settings(checkpoint: checkpoint.settings, requested: other), key) {
                XCTAssertTrue("\($0)".contains(key), "\($0)")
            }
            // And the model those settings build is not the checkpoint's.
            XCTAssertThrowsError(try Resumption.check(try TrainingJob(other), against: checkpoint, path: path), key)
        }
    }
}
