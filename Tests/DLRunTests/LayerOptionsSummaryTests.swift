// A model with Dropout layers, regularizers and initializers: `dlmodel summary` lists the Dropout
// layers in Keras's table, where Keras's model.summary() has them, and then each layer's options;
// the model file keeps them through a write and a read. A model without them is summarized as before
// (ModelUseTests).

import DLCore
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class LayerOptionsSummaryTests: XCTestCase {
    func testTheSummaryListsDropoutLayersAndEachLayersOptions() throws {
        var settings = JobSettings.seedJob
        settings.layers = "dropout:0.2,30:relu:l2=0.001:kernel_initializer=he_normal,dropout:0.5,1:sigmoid"
        settings.fit.biasRegularizer = "l1_l2:l1=0.25,l2=0.5"
        let job = try TrainingJob(settings, loadsRows: false)
        let model = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
        let lines = ModelSummary.text(of: model).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Array(lines[4..<13]), [
            "│ dropout (Dropout)               │ (None, 17)             │             0 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dense (Dense)                   │ (None, 30)             │           540 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dropout_1 (Dropout)             │ (None, 30)             │             0 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dense_1 (Dense)                 │ (None, 1)              │            31 │",
            "└─────────────────────────────────┴────────────────────────┴───────────────┘",
            " Total params: 571 (2.23 KB)",
        ])
        let options = try XCTUnwrap(lines.firstIndex(of: "Layers (Keras's Dense and Dropout arguments):"))
        XCTAssertEqual(Array(lines[(options + 1)...(options + 4)]), [
            "  dropout: rate=0.2",
            "  dense: kernel_initializer=he_normal, bias_initializer=zeros, kernel_regularizer=l2:0.001, bias_regularizer=l1_l2:l1=0.25,l2=0.5",
            "  dropout_1: rate=0.5",
            "  dense_1: kernel_initializer=glorot_uniform, bias_initializer=zeros, bias_regularizer=l1_l2:l1=0.25,l2=0.5",
        ])

        let path = try temporaryDirectory(self) + "/model.safetensors"
        try model.write(to: path)
        let read = try ModelFile.load(from: path)
        XCTAssertEqual(read.model, job.model)
        XCTAssertEqual(read.model.inputDropout, 0.2)
        XCTAssertEqual(read.model.layers[0].kernelRegularizer, Regularizer(l2: 0.001))
        let json = ModelSummary.json(of: read)
        XCTAssertTrue(json.contains("\"input_dropout\""), json)
        XCTAssertTrue(json.contains("\"kernel_regularizer\""), json)

        var scheduled = JobSettings.seedJob
        scheduled.fit.lrSchedule = "cosine_decay:decay_steps=100"
        let scheduledJob = try TrainingJob(scheduled, loadsRows: false)
        let scheduledModel = ModelFile(job: scheduledJob, parameters: scheduledJob.model.initialParameters(seed: 1), epochs: 1)
        let scheduleLine = try XCTUnwrap(ModelSummary.text(of: scheduledModel).split(separator: "\n").first { $0.hasPrefix("Learning-rate schedule: ") })
        XCTAssertTrue(scheduleLine.contains("cosine_decay:") && scheduleLine.contains("decay_steps=100"), String(scheduleLine))
        XCTAssertEqual(ModelSummary.Record(scheduledModel).lrSchedule, scheduledJob.optimizer.schedule?.text)

        var plain = JobSettings.seedJob
        plain.epochs = 1
        let plainJob = try TrainingJob(plain, loadsRows: false)
        let plainText = ModelSummary.text(of: ModelFile(job: plainJob, parameters: plainJob.model.initialParameters(seed: 1), epochs: 1))
        XCTAssertFalse(
            plainText.contains("Dropout") || plainText.contains("Layers (") || plainText.contains("Learning-rate schedule"), plainText)
    }
}
