// A model trained with a sample weight column: the model file records the column (so it is never
// taken as a feature), `dlmodel evaluate` on the validation rows gives fit's weighted val_loss and
// its unweighted metrics, a CSV without the column is evaluated unweighted, and a bad weight cell is
// refused with its line.

import DLCore
import DLData
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class SampleWeightModelTests: XCTestCase {
    private func csv(_ name: String, weights: Bool = true, bad: Int? = nil) throws -> String {
        var text = "a,b,y\(weights ? ",w" : "")\n"
        for row in 0..<50 {
            let a = Double(row % 7) / 7 - 0.4, b = Double((row * 3) % 10) / 10 - 0.5
            text += "\(a),\(b),\(a + b > 0 ? 1 : 0)"
            if weights { text += row == bad ? ",-2" : ",\(["1.5", "0.5", "0", "2"][row % 4])" }
            text += "\n"
        }
        let path = try temporaryDirectory(self) + "/\(name).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTheModelFileRecordsTheColumnAndEvaluateWeighsByIt() throws {
        var settings = JobSettings()
        settings.data = try csv("train")
        settings.labelColumn = ["y"]
        settings.layers = "3:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.metrics = ["accuracy"]
        settings.epochs = 2
        settings.validationSplit = 0.2
        settings.fit.sampleWeightColumn = "w"
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        let last = try XCTUnwrap(try trainer.train().last)
        let path = try temporaryDirectory(self) + "/model.safetensors"
        try ModelFile(job: job, parameters: trainer.parameters, epochs: 2).write(to: path)
        let model = try ModelFile.read(path: path)
        XCTAssertEqual(model.sampleWeightColumn, "w")
        XCTAssertEqual(model.features, ["a", "b"])
        XCTAssertEqual(ModelSummary.Record(model).sampleWeightColumn, "w")
        XCTAssertTrue(ModelSummary.text(of: model).contains("Sample weights: column w,"))

        // The validation rows (the last 10), with the header.
        let lines = try String(contentsOfFile: settings.data, encoding: .utf8).split(separator: "\n")
        let validation = try temporaryDirectory(self) + "/validation.csv"
        try ([lines[0]] + lines.suffix(10)).joined(separator: "\n").appending("\n").write(toFile: validation, atomically: true, encoding: .utf8)
        let evaluation = try Evaluator(model: model).evaluate(csv: validation)
        for (value, name) in zip(evaluation.values, ["val_loss", "val_accuracy"]) {
            XCTAssertEqual(value.value, try XCTUnwrap(last.value(name)), accuracy: 1e-12, name)
        }
        // Without the column: the same rows unweighted, so another loss and the same accuracy.
        let unweighted = try temporaryDirectory(self) + "/unweighted.csv"
        try ([lines[0]] + lines.suffix(10)).map { $0.split(separator: ",").dropLast().joined(separator: ",") }
            .joined(separator: "\n").appending("\n").write(toFile: unweighted, atomically: true, encoding: .utf8)
        let plain = try Evaluator(model: model).evaluate(csv: unweighted)
        XCTAssertNotEqual(plain.values[0].value, evaluation.values[0].value)
        XCTAssertEqual(plain.values[1].value, evaluation.values[1].value)
        // A negative weight is refused with its line.
        XCTAssertThrowsError(try Evaluator(model: model).evaluate(csv: try csv("bad", bad: 4))) { error in
            guard case let .badSampleWeight(_, line, column, _, _) = (error as? DataError)?.withoutAdvice else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 6)
            XCTAssertEqual(column, 3)
        }
    }
}
