// Keras's EarlyStopping, exactly: the decisions of Keras's own callback on fixed sequences of epoch
// values (recorded by Fixtures/record_keras_early_stopping.py from Keras 3.15: the epochs run, the
// epoch it stopped after, the best epoch, and the epoch whose weights it restored), replayed here;
// and in training, a run stops patience epochs past its best and ends with the best epoch's
// weights when told to restore them (DLClusterTests checks the same run distributed).

import DLCore
import DLData
import DLTestSupport
@testable import DLTraining
import Foundation
import XCTest

final class EarlyStoppingTests: XCTestCase {
    private struct Recording: Decodable {
        struct Case: Decodable {
            let name, monitor, direction: String
            let values: [Double]
            let patience: Int
            let min_delta: Double
            let restore_best_weights: Bool
            let epochs_run, stopped_epoch, best_epoch: Int
            let restored_epoch: Int?
        }
        let keras: String
        let cases: [Case]
    }

    func testEveryRecordedKerasDecisionIsReplayed() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "keras_early_stopping", withExtension: "json"))
        let recording = try JSONDecoder().decode(Recording.self, from: Data(contentsOf: url))
        XCTAssertEqual(recording.cases.count, 10)
        for recorded in recording.cases {
            let rule = EarlyStopping.Rule(
                patience: recorded.patience, monitor: recorded.monitor, minDelta: recorded.min_delta,
                restoreBestWeights: recorded.restore_best_weights)
            XCTAssertEqual(rule.improvesUpward, recorded.direction == "up", recorded.name)
            var stopping = EarlyStopping(rule: rule)
            var epochs = 0
            for (epoch, value) in recorded.values.enumerated() {
                // The "weights" are the epoch, so the restored ones say which epoch they came from.
                stopping.epochEnded(epoch, value: value, parameters: [Float(epoch)])
                epochs += 1
                if stopping.stoppedEpoch != nil { break }
            }
            XCTAssertEqual(epochs, recorded.epochs_run, recorded.name)
            XCTAssertEqual(stopping.stoppedEpoch ?? 0, recorded.stopped_epoch, recorded.name)
            XCTAssertEqual(stopping.bestEpoch, recorded.best_epoch, recorded.name)
            let restored = recorded.restore_best_weights ? stopping.bestParameters.map { Int($0[0]) } : nil
            XCTAssertEqual(restored, recorded.restored_epoch, recorded.name)
        }
    }

    private func job(shards: Int, restore: Bool) throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 200
        settings.shards = shards
        settings.earlyStoppingPatience = 3
        settings.restoreBestWeights = restore
        return try TrainingJob(settings)
    }

    func testARunStopsPatienceEpochsPastItsBestAndRestoresTheBestEpoch() throws {
        let job = try job(shards: 4, restore: true)
        let trainer = LocalTrainer(job: job)
        let reports = try trainer.train()
        let stopping = try XCTUnwrap(trainer.progress.earlyStopping)
        let stopped = try XCTUnwrap(stopping.stoppedEpoch, "the breast-cancer job overfits long before 200 epochs")
        XCTAssertEqual(reports.count, stopped + 1)
        // Keras's rule on the run's own val_loss: the best epoch is the lowest, and the run went
        // patience epochs past it.
        let losses = reports.map { $0.value("val_loss")! }
        XCTAssertEqual(stopping.bestEpoch, losses.indices.min { losses[$0] < losses[$1] })
        XCTAssertEqual(stopped, stopping.bestEpoch + 3)
        XCTAssertTrue(trainer.progress.isComplete(epochs: 200))

        // The best epoch's weights: those of a run of exactly that many epochs.
        var settings = job.settings
        settings.epochs = stopping.bestEpoch + 1
        settings.earlyStoppingPatience = nil
        settings.restoreBestWeights = false
        let shorter = LocalTrainer(job: try TrainingJob(settings))
        try shorter.train()
        XCTAssertEqual(trainer.progress.finalParameters.map(\.bitPattern), shorter.parameters.map(\.bitPattern))
        XCTAssertNotEqual(trainer.progress.finalParameters, trainer.parameters)
    }

    func testTheMonitorMustBeAValueTheEpochsReport() throws {
        var settings = JobSettings.seedJob
        settings.earlyStoppingPatience = 2
        XCTAssertThrowsError(try TrainingJob(settings)) {
            XCTAssertEqual("\($0)", "invalid monitor \"val_loss\": each epoch reports loss, accuracy; val_ values need --validation-split")
        }
        settings.monitor = "accuracy"
        XCTAssertEqual(try TrainingJob(settings).earlyStopping?.improvesUpward, true)
        settings.earlyStoppingPatience = -1
        XCTAssertThrowsError(try TrainingJob(settings))
    }
}
