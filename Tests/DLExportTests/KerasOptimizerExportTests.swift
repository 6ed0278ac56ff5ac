// The .keras export's optimizer: Keras 3 (numpy backend) loads a file of each new optimizer, with
// Keras's base options (weight_decay, clipping, use_ema, amsgrad) and each learning-rate schedule,
// without a warning; its optimizer is the class and configuration dltrain trained with, its
// variables have the shapes of the file's in order (so Keras continues training from them), and
// the loaded schedule gives dltrain's rates.

import DLCore
@testable import DLExport
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class KerasOptimizerExportTests: XCTestCase {
    private static let check = """
        import io, json, os, sys, warnings, zipfile
        os.environ.setdefault("KERAS_BACKEND", "numpy")
        try:
            import keras, h5py
        except ImportError as error:
            print(json.dumps({"skip": str(error)})); sys.exit(0)
        results = []
        for path in sys.argv[1:]:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = keras.saving.load_model(path)
            optimizer = model.optimizer
            h5 = h5py.File(io.BytesIO(zipfile.ZipFile(path).read("model.weights.h5")), "r")
            stored = [list(h5["optimizer/vars"][str(i)].shape) for i in range(len(h5["optimizer/vars"]))]
            config = optimizer.get_config()
            schedule = config["learning_rate"] if isinstance(config["learning_rate"], dict) else None
            rates = [float(keras.ops.convert_to_numpy(optimizer._learning_rate(step))) for step in range(12)] if schedule else []
            results.append({
                "class": type(optimizer).__name__, "warnings": [str(w.message) for w in caught],
                "shapes": [list(v.shape) for v in optimizer.variables], "stored": stored,
                "weight_decay": config["weight_decay"], "clipnorm": config["clipnorm"],
                "global_clipnorm": config["global_clipnorm"], "clipvalue": config["clipvalue"],
                "use_ema": config["use_ema"], "amsgrad": config.get("amsgrad"),
                "schedule": schedule["class_name"] if schedule else None, "rates": rates,
            })
        print(json.dumps({"results": results}))
        """

    private struct Listing: Decodable {
        struct Result: Decodable {
            let `class`: String
            let warnings: [String]
            let shapes: [[Int]]
            let stored: [[Int]]
            let weight_decay: Double?
            let clipnorm: Double?
            let global_clipnorm: Double?
            let clipvalue: Double?
            let use_ema: Bool
            let amsgrad: Bool?
            let schedule: String?
            let rates: [Float]
        }
        let skip: String?
        let results: [Result]?
    }

    func testKerasLoadsEachOptimizerAndScheduleAsTrained() throws {
        let cases: [(optimizer: String, arguments: [String: Double], schedule: String?, kerasClass: String)] = [
            ("adamw", ["amsgrad": 1, "use_ema": 1, "ema_overwrite_frequency": 5, "clipnorm": 0.5],
             "cosine_decay:decay_steps=40,warmup_target=0.01,warmup_steps=10", "AdamW"),
            ("nadam", ["weight_decay": 0.01, "global_clipnorm": 1], "exponential_decay:decay_steps=5,decay_rate=0.5", "Nadam"),
            ("ftrl", ["l1_regularization_strength": 0.01, "clipvalue": 0.5], "inverse_time_decay:decay_steps=3,decay_rate=0.5", "Ftrl"),
            ("adadelta", ["use_ema": 1], "polynomial_decay:decay_steps=9,cycle=true", "Adadelta"),
            ("adamax", [:], "cosine_decay_restarts:first_decay_steps=3", "Adamax"),
            ("rmsprop", ["momentum": 0.5, "use_ema": 1], "piecewise_constant_decay:boundaries=3/6,values=0.1/0.05/0.01", "RMSprop"),
        ]
        let directory = try temporaryDirectory(self)
        var paths: [String] = []
        var configs: [OptimizerConfig] = []
        for (index, item) in cases.enumerated() {
            var settings = JobSettings.seedJob
            settings.optimizer = item.optimizer
            settings.optimizerArguments = item.arguments
            settings.fit.lrSchedule = item.schedule
            let job = try TrainingJob(settings)
            let model = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
            let path = directory + "/\(index).keras"
            try Data(KerasExport.encoded(model)).write(to: URL(fileURLWithPath: path))
            paths.append(path)
            configs.append(job.optimizer)
        }
        let output = try Python.run(Self.check, arguments: paths, timeout: 300)
        let listing = try JSONDecoder().decode(Listing.self, from: Data(output.utf8))
        if let skip = listing.skip { throw XCTSkip("Keras is not installed: \(skip)") }
        let results = try XCTUnwrap(listing.results)
        XCTAssertEqual(results.count, cases.count)
        for ((item, config), result) in zip(zip(cases, configs), results) {
            let name = item.optimizer
            XCTAssertEqual(result.class, item.kerasClass, name)
            XCTAssertEqual(result.warnings, [], name)
            XCTAssertEqual(result.shapes, result.stored, "\(name): Keras's variables and the file's, in order")
            XCTAssertEqual(result.weight_decay.map(Float.init), config.weightDecay == 0 ? nil : config.weightDecay, name)
            XCTAssertEqual(result.clipnorm.map(Float.init), item.arguments["clipnorm"].map(Float.init), name)
            XCTAssertEqual(result.global_clipnorm.map(Float.init), item.arguments["global_clipnorm"].map(Float.init), name)
            XCTAssertEqual(result.clipvalue.map(Float.init), item.arguments["clipvalue"].map(Float.init), name)
            XCTAssertEqual(result.use_ema, config.movingAverage != nil, name)
            if name == "adamw" { XCTAssertEqual(result.amsgrad, true) }
            let schedule = try XCTUnwrap(config.schedule, name)
            XCTAssertNotNil(result.schedule, name)
            for (step, rate) in result.rates.enumerated() {
                let ours = schedule.rate(atIteration: step)
                XCTAssertLessThanOrEqual(abs(ours - rate), 1e-5 * abs(rate) + 1e-7, "\(name) rate at step \(step)")
            }
        }
    }
}
