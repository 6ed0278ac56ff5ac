// The job's layer defaults (--kernel-regularizer, --bias-regularizer, --kernel-initializer,
// --bias-initializer) reach every Dense layer that does not set its own, the output layer `auto`
// chose included; a bad one is refused under its job-file key before anything is read; and a
// regularized run reports Keras's loss: the data loss plus the penalty, in loss and val_loss.

import DLCore
import DLTestSupport
@testable import DLTraining
import XCTest

final class LayerDefaultsTests: XCTestCase {
    func testTheDefaultsReachEveryLayerWithoutItsOwnTheAutoOutputIncluded() throws {
        var settings = JobSettings.breastCancerJob
        settings.layers = "dropout:0.1,16:relu:l1=0.5:kernel_initializer=ones,dropout:0.2,8:relu,auto"
        settings.fit.kernelRegularizer = "l2:0.001"
        settings.fit.biasRegularizer = "l1_l2:l1=0.25"
        settings.fit.kernelInitializer = "he_normal"
        settings.fit.biasInitializer = "random_uniform"
        let job = try TrainingJob(settings, loadsRows: false)
        let layers = job.model.layers
        XCTAssertEqual(layers.count, 3)
        XCTAssertEqual(job.model.inputDropout, 0.1)
        XCTAssertEqual(layers.map(\.dropout), [0.2, nil, nil])
        XCTAssertEqual(layers.map(\.kernelRegularizer), [Regularizer(l1: 0.5), Regularizer(l2: 0.001), Regularizer(l2: 0.001)])
        XCTAssertEqual(layers.map(\.biasRegularizer), Array(repeating: Regularizer(l1: 0.25), count: 3))
        XCTAssertEqual(layers.map(\.kernelInitializer), [.ones, .heNormal, .heNormal])
        XCTAssertEqual(layers.map(\.biasInitializer), [.randomUniform, .randomUniform, .randomUniform])
        XCTAssertEqual(layers[2].activation, .sigmoid)
    }

    func testABadDefaultIsRefusedUnderItsKey() {
        let cases: [(WritableKeyPath<FitSettings, String?>, String, String, String)] = [
            (\.kernelRegularizer, "l3:0.1", "kernel_regularizer", "did you mean"),
            (\.biasRegularizer, "l2:-1", "bias_regularizer", "at least 0"),
            (\.kernelInitializer, "he_nromal", "kernel_initializer", "did you mean he_normal?"),
            (\.biasInitializer, "identity", "bias_initializer", "not a bias"),
        ]
        for (path, value, key, hint) in cases {
            var settings = JobSettings.seedJob
            settings.fit[keyPath: path] = value
            XCTAssertThrowsError(try settings.validate(), key) { error in
                guard case let .badSetting(name, text, reason)? = error as? JobError else { return XCTFail("\(error)") }
                XCTAssertEqual(name, key)
                XCTAssertEqual(text, value)
                XCTAssertTrue(reason.contains(hint), reason)
            }
        }
    }

    func testARegularizedRunReportsThePenaltyInLossAndValLoss() throws {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 1
        settings.validationSplit = 0.2
        settings.shards = 2
        var regularized = settings
        regularized.fit.kernelRegularizer = "l2:0.01"
        let plain = try TrainingJob(settings), job = try TrainingJob(regularized)
        XCTAssertEqual(Regularization(plain.model), .none)

        // One step by hand: the loss sum gains the step's rows times the penalty at the weights before it.
        var progress = TrainingProgress(job: job)
        let before = progress.parameters
        let penalty = Regularization(job.model).penalty(before)
        XCTAssertGreaterThan(penalty, 0)
        let trainer = LocalTrainer(job: job, progress: progress)
        let reference = LocalTrainer(job: try TrainingJob(settings))
        XCTAssertEqual(reference.parameters, before, "the regularizer changes no initial weight")
        try trainer.train()
        try reference.train()
        XCTAssertNotEqual(trainer.parameters, reference.parameters, "the penalty's gradient moved the weights")
        progress = trainer.progress
        let report = try XCTUnwrap(progress.history.last)
        let finalPenalty = Double(Regularization(job.model).penalty(progress.parameters))
        // val_loss = the validation rows' mean loss at the final weights + the penalty there.
        let validation = ShardRunner.validationSums(
            ShardRunner.allShards(of: job, pool: .shared), parameters: progress.parameters, metrics: job.metrics)
        let dataLoss = validation[0] / validation[1]
        XCTAssertEqual(try XCTUnwrap(report.value("val_loss")), dataLoss + finalPenalty, accuracy: 1e-9)
    }
}
