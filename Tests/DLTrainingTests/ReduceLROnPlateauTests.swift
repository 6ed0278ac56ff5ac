// Keras's ReduceLROnPlateau, exactly: the decisions of Keras's own callback on fixed sequences of
// epoch values (cooldown, min_lr, min_delta, patience 0, each metric's direction in `auto` mode,
// a tie that only float32 sees), and two short real fits replayed step by step through
// TrainingProgress from the same initial weights and batches: each epoch's report (learning_rate
// included) and weights within KerasParityTests' tolerance, |a - e| <= 1e-5 |e| + 1e-6, and the
// rate itself to the bit. Recorded by Tests/Reference/record_keras_plateau.py (Keras 3.15.1).
// Then the option as users give it: its parse and its errors, and in training.

import DLCore
import DLData
import DLTestSupport
@testable import DLTraining
import Foundation
import XCTest

final class ReduceLROnPlateauTests: XCTestCase {
    func testEveryRecordedKerasDecisionIsReplayed() throws {
        let recording = try PlateauRecording.load()
        XCTAssertEqual(recording.decisions.count, 14)
        for recorded in recording.decisions {
            let text = (["monitor=\(recorded.monitor)"] + recorded.arguments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" })
                .joined(separator: ",")
            let rule = try ReduceLROnPlateau.Rule(parsing: text)
            XCTAssertEqual(rule.improvesUpward, recorded.upward, recorded.name)
            var plateau = ReduceLROnPlateau(rule: rule)
            var rate = Float(recorded.initial_rate)
            for (epoch, value) in recorded.values.enumerated() {
                XCTAssertEqual(Double(rate), recorded.logged[epoch], "\(recorded.name): logged rate of epoch \(epoch)")
                if let lowered = plateau.epochEnded(value: value, learningRate: rate) { rate = lowered }
                XCTAssertEqual(rate.bitPattern, Float(recorded.rates[epoch]).bitPattern, "\(recorded.name): rate after epoch \(epoch)")
            }
        }
    }

    func testRecordedFitsAreReplayedThroughTheTrainingProgress() throws {
        let recording = try PlateauRecording.load()
        var worst = 0.0
        for run in recording.runs {
            worst = max(worst, try replay(run, data: recording.data))
        }
        // What the report of this lane states: the largest |a - e| / (1e-5 |e| + 1e-6) seen.
        print("ReduceLROnPlateau parity: worst deviation \(worst) of the tolerance")
    }

    /// Replays `run`; returns its worst deviation as a fraction of the tolerance.
    private func replay(_ run: PlateauRecording.Run, data: PlateauRecording.Data) throws -> Double {
        let spec = try ModelSpec(
            inputDim: 4, layers: [DenseSpec(units: 3, activation: .relu), DenseSpec(units: 1, activation: .sigmoid)])
        let loss = try Loss(name: "binary_crossentropy")
        let metrics = MetricSet([try Metric(name: "accuracy", loss: loss, outputs: 1)])
        let optimizer = Optimizer(
            try OptimizerConfig(
                name: run.optimizer.name,
                arguments: ["learning_rate": run.optimizer.learning_rate].merging(run.optimizer.momentum.map { ["momentum": $0] } ?? [:]) { a, _ in a }),
            parameterCount: spec.layout.count, tensors: spec.layout.tensorRanges)
        let rule = try ReduceLROnPlateau.Rule(
            parsing: run.plateau.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" }.joined(separator: ","))
        let stopping = run.early_stopping.map {
            EarlyStopping.Rule(patience: Int($0["patience"]?.number ?? 0), monitor: $0["monitor"]?.text ?? "", minDelta: 0, restoreBestWeights: false)
        }
        let rows = data.x.count, steps = rows / run.batch_size
        var progress = TrainingProgress(
            metrics: metrics, stepsPerEpoch: steps, parameters: flatten(run.initial_weights), optimizer: optimizer,
            regularization: Regularization(spec), position: TrainingPosition(epoch: 0, step: 0), epochSums: metrics.makeSums(), history: [],
            earlyStopping: stopping.map(EarlyStopping.init(rule:)), reduceLROnPlateau: ReduceLROnPlateau(rule: rule),
            reportsLearningRate: true)
        let engine = BatchEngine(spec: spec, loss: loss, metrics: metrics, capacity: run.batch_size)
        var gradient = [Float](repeating: 0, count: spec.layout.count)
        var worst = 0.0
        func check(_ actual: Double, _ expected: Double, _ what: String) {
            let tolerance = 1e-5 * abs(expected) + 1e-6
            worst = max(worst, abs(actual - expected) / tolerance)
            XCTAssertLessThanOrEqual(abs(actual - expected), tolerance, "\(run.name) \(what): \(actual) vs Keras \(expected)")
        }
        func load(_ x: [[Float]], _ y: [[Float]]) {
            for (row, features) in x.enumerated() {
                for (column, value) in features.enumerated() { engine.inputs[row * spec.inputDim + column] = value }
                engine.targets[row * engine.targetWidth] = y[row][0]
            }
        }
        var epochs = 0
        while !progress.isComplete(epochs: run.epochs) {
            for step in 0..<steps {
                let batch = (step * run.batch_size)..<((step + 1) * run.batch_size)
                load(Array(data.x[batch]), Array(data.y[batch]))
                var sums = metrics.makeSums()
                progress.parameters.withUnsafeBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { g in
                        engine.computeGradientSum(parameters: p, rows: run.batch_size, gradient: g, sums: &sums)
                    }
                }
                try progress.applyStep(shardGradients: [gradient], shardSums: [sums], batchSize: run.batch_size)
            }
            load(data.x_val, data.y_val)
            var validation = metrics.makeSums()
            progress.parameters.withUnsafeBufferPointer { p in engine.evaluate(parameters: p, rows: data.x_val.count, sums: &validation) }
            let report = progress.finishEpoch(validationSums: validation, seconds: 0)
            let expected = try XCTUnwrap(run.epochs_run.dropFirst(epochs).first, "\(run.name): Keras stopped before epoch \(epochs + 1)")
            XCTAssertEqual(report.values.map(\.name), ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"])
            for value in report.values where value.name != "learning_rate" {
                check(value.value, try XCTUnwrap(expected.logs[value.name]), "epoch \(epochs + 1) \(value.name)")
            }
            XCTAssertEqual(report.value("learning_rate"), expected.logs["learning_rate"], "\(run.name) epoch \(epochs + 1) learning_rate")
            XCTAssertEqual(progress.optimizer.learningRate, Float(expected.rate_after), "\(run.name) rate after epoch \(epochs + 1)")
            for (i, (a, e)) in zip(progress.parameters, flatten(expected.weights)).enumerated() {
                check(Double(a), Double(e), "epoch \(epochs + 1) weight \(i)")
            }
            epochs += 1
        }
        XCTAssertEqual(epochs, run.epochs_run.count, "\(run.name): epochs run")
        // The rate was lowered at least once within the run: the fixture tests the reduction.
        XCTAssertLessThan(progress.optimizer.learningRate, Float(run.optimizer.learning_rate), run.name)
        return worst
    }

    private func flatten(_ weights: [PlateauRecording.Weights]) -> [Float] {
        weights.flatMap { field -> [Float] in
            switch field {
            case let .matrix(rows): rows.flatMap { $0 }
            case let .vector(values): values
            }
        }
    }

    func testTheTextTakesKerasArgumentsAndDefaults() throws {
        XCTAssertEqual(try ReduceLROnPlateau.Rule(parsing: "defaults"), ReduceLROnPlateau.Rule())
        let rule = try ReduceLROnPlateau.Rule(parsing: " monitor=loss, factor=0.5,patience=3,mode=min,min_delta=-0.01,cooldown=2,min_lr=1e-5")
        XCTAssertEqual(
            rule,
            ReduceLROnPlateau.Rule(monitor: "loss", factor: 0.5, patience: 3, mode: .min, minDelta: 0.01, cooldown: 2, minLR: 1e-5))
        XCTAssertEqual(try ReduceLROnPlateau.Rule(parsing: "patience=2"), ReduceLROnPlateau.Rule(patience: 2))
        XCTAssertEqual(try ReduceLROnPlateau.Rule(parsing: rule.text), rule)
    }

    func testAJobFileMayWriteItAsAnObject() throws {
        let json = #"{"reduce_lr_on_plateau": {"monitor": "loss", "factor": 0.5, "patience": 3, "min_lr": 1e-5}}"#
        let settings = try JSONDecoder().decode(JobSettings.self, from: Data(json.utf8))
        XCTAssertEqual(settings.fit.reduceLROnPlateau, "factor=0.5,min_lr=1e-05,monitor=loss,patience=3")
        XCTAssertEqual(
            try settings.reduceLROnPlateauRule(), ReduceLROnPlateau.Rule(monitor: "loss", factor: 0.5, patience: 3, minLR: 1e-5))
        let text = try JSONDecoder().decode(JobSettings.self, from: Data(#"{"reduce_lr_on_plateau": "defaults"}"#.utf8))
        XCTAssertEqual(try text.reduceLROnPlateauRule(), ReduceLROnPlateau.Rule())
    }

    func testMistakesAreTypedWithAdvice() {
        func refusal(_ text: String) -> ReduceLROnPlateau.Rule.TextError? {
            do {
                _ = try ReduceLROnPlateau.Rule(parsing: text)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(refusal("paitence=3"), .unknownArgument("paitence", meant: "patience"))
        XCTAssertEqual(refusal("lr=3"), .unknownArgument("lr", meant: nil))
        XCTAssertEqual(refusal(""), .malformed(item: ""))
        XCTAssertEqual(refusal("factor"), .malformed(item: "factor"))
        XCTAssertEqual(refusal("factor=0.5,factor=0.2"), .repeated("factor"))
        for bad in ["factor=1", "factor=1.5", "factor=0", "factor=-0.5", "factor=nan", "factor=1e300", "patience=-1",
            "patience=2.5", "cooldown=x", "min_lr=-1", "min_delta=inf", "mode=up", "monitor="]
        {
            guard case let .badValue(argument, _, reason)? = refusal(bad) else { return XCTFail("\(bad) was taken") }
            XCTAssertTrue(bad.hasPrefix(argument + "="), bad)
            XCTAssertFalse(reason.isEmpty, bad)
        }
        XCTAssertTrue("\(refusal("factor=1")!)".contains("below 1"))
        XCTAssertTrue("\(refusal("lr=3")!)".contains("min_lr"), "names the arguments")
    }

    func testTheJobChecksTheMonitorAndRefusesItBesideASchedule() throws {
        var settings = JobSettings.seedJob
        settings.epochs = 1
        settings.fit.reduceLROnPlateau = "defaults"
        XCTAssertThrowsError(try TrainingJob(settings)) {
            guard case let JobError.badSetting(key, _, reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "reduce_lr_on_plateau")
            XCTAssertTrue(reason.contains("val_loss") && reason.contains("--validation-split"), reason)
        }
        settings.fit.reduceLROnPlateau = "monitor=accuracy,factor=0.5"
        let job = try TrainingJob(settings)
        XCTAssertEqual(job.reduceLROnPlateau, ReduceLROnPlateau.Rule(monitor: "accuracy", factor: 0.5))
        XCTAssertEqual(job.reduceLROnPlateau?.improvesUpward, true)
        settings.fit.reduceLROnPlateau = "factor=2"
        XCTAssertThrowsError(try settings.validate()) {
            XCTAssertEqual(($0 as? JobError).map { if case let .badSetting(key, _, _) = $0 { key } else { "" } }, "reduce_lr_on_plateau")
        }
        settings.fit.reduceLROnPlateau = "defaults"
        settings.fit.lrSchedule = "exponential_decay:decay_steps=100,decay_rate=0.9"
        XCTAssertThrowsError(try settings.validate()) {
            guard case let JobError.badSetting(key, _, reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "reduce_lr_on_plateau")
            XCTAssertTrue(reason.contains("--lr-schedule"), reason)
        }
    }

    func testTrainingLowersTheRateAndReportsItBeforeEachReduction() throws {
        var settings = JobSettings.seedJob
        settings.epochs = 4
        settings.shards = 2
        settings.validationSplit = 0.2
        // No gain is ever as large as min_delta: the rate halves after every epoch but the first.
        settings.fit.reduceLROnPlateau = "factor=0.5,patience=1,min_delta=100"
        let trainer = LocalTrainer(job: try TrainingJob(settings))
        let reports = try trainer.train()
        let rate = Float(0.001)
        XCTAssertEqual(reports.map { $0.value("learning_rate") }, [rate, rate, rate * 0.5, rate * 0.25].map { Double($0) })
        XCTAssertEqual(reports.map { $0.values.last?.name }, Array(repeating: "learning_rate", count: 4))
        XCTAssertEqual(trainer.progress.optimizer.learningRate, Float(Double(rate * 0.25) * 0.5))

        // The first two epochs ran at the configured rate: the same weights as without the option.
        settings.epochs = 2
        let plain = LocalTrainer(job: try TrainingJob({ var s = settings; s.fit.reduceLROnPlateau = nil; return s }()))
        try plain.train()
        let reduced = LocalTrainer(job: try TrainingJob(settings))
        try reduced.train()
        XCTAssertEqual(plain.parameters, reduced.parameters)
        XCTAssertNil(plain.progress.history.last?.value("learning_rate"), "no learning_rate without a schedule or the option")
    }
}

/// Tests/Reference/keras_plateau.json.
struct PlateauRecording: Decodable {
    /// A JSON number or string, as a flag's text writes it.
    enum Argument: Decodable {
        case number(Double), text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else {
                self = .text(try container.decode(String.self))
            }
        }
        var text: String {
            switch self {
            case let .number(value): value.rounded() == value && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
            case let .text(value): value
            }
        }
        var number: Double? { if case let .number(value) = self { value } else { nil } }
    }
    enum Weights: Decodable {
        case matrix([[Float]]), vector([Float])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let matrix = try? container.decode([[Float]].self) { self = .matrix(matrix) } else {
                self = .vector(try container.decode([Float].self))
            }
        }
    }
    struct Decision: Decodable {
        let name, monitor: String
        let values: [Double]
        let initial_rate: Double
        let arguments: [String: Argument]
        let logged, rates: [Double]
        let upward: Bool
    }
    struct Data: Decodable {
        let x, y, x_val, y_val: [[Float]]
    }
    struct Run: Decodable {
        struct OptimizerEntry: Decodable {
            let name: String
            let learning_rate: Double
            let momentum: Double?
        }
        struct Epoch: Decodable {
            let logs: [String: Double]
            let weights: [Weights]
            let rate_after: Double
        }
        let name: String
        let optimizer: OptimizerEntry
        let plateau: [String: Argument]
        let early_stopping: [String: Argument]?
        let epochs, batch_size: Int
        let initial_weights: [Weights]
        let epochs_run: [Epoch]
    }
    let keras: String
    let decisions: [Decision]
    let data: Data
    let runs: [Run]

    static func load() throws -> PlateauRecording {
        let path = Repository.root + "/Tests/Reference/keras_plateau.json"
        return try JSONDecoder().decode(PlateauRecording.self, from: Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
