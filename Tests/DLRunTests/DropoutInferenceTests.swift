// A model with Dropout layers is used as Keras uses it after training: `dlmodel predict` and
// `dlmodel evaluate` (Predictor, Evaluator) compute exactly what the model without its Dropout
// layers computes, and the model file keeps the rates (so a summary and an export can show them).

import DLCore
import DLRun
import DLTestSupport
import DLTraining
import XCTest

final class DropoutInferenceTests: XCTestCase {
    /// The breast-cancer job's model file with some weights, and the same with Dropout(0.2) on the
    /// inputs and Dropout(0.5) after the hidden layer.
    private func models() throws -> (without: ModelFile, with: ModelFile) {
        let job = try TrainingJob(JobSettings.breastCancerJob)
        var without = ModelFile(job: job, parameters: [], epochs: 1)
        without.parameters = (0..<job.model.layout.count).map { Float($0 % 11) / 10 - 0.5 }
        var with = without
        var layers = job.model.layers
        layers[0].dropout = 0.5
        with.model = try ModelSpec(inputDim: job.model.inputDim, layers: layers, inputDropout: 0.2)
        return (without, with)
    }

    func testPredictAndEvaluateNeverDrop() throws {
        let (without, with) = try models()
        let csv = Repository.dataset("breast_cancer.csv")
        var predicted = ["", ""]
        for (index, model) in [without, with].enumerated() {
            try Predictor(model: model, batchSize: 64).predict(csv: csv) { predicted[index] += $0 }
        }
        XCTAssertGreaterThan(predicted[0].count, 1000)
        XCTAssertEqual(predicted[1], predicted[0])
        let evaluations = try [without, with].map { try Evaluator(model: $0, batchSize: 64).evaluate(csv: csv) }
        XCTAssertEqual(evaluations[1].values.map(\.value), evaluations[0].values.map(\.value))
    }

    func testTheModelFileKeepsTheRates() throws {
        let (_, with) = try models()
        let path = try temporaryDirectory(self) + "/model.safetensors"
        try with.write(to: path)
        let read = try ModelFile.read(path: path)
        XCTAssertEqual(read.model.inputDropout, 0.2)
        XCTAssertEqual(read.model.layers.map(\.dropout), [0.5, nil])
    }
}
