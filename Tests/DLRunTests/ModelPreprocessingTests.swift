// A preprocessed model's file: the fitted preprocessing (every kind of column, a cross, a missing
// indicator) is stored in the metadata and reads back to the same bytes; an edited preprocessing
// (a duplicate in a vocabulary, a width that is not the model's, a NaN fill, unsorted boundaries,
// a huge bin count, a standardization beside it, inputs in another order) is refused with the file
// named, never a trap; a checkpoint keeps it the same way and a job that fits another one cannot
// use it; `dlmodel summary` lists every raw column with its type and what it becomes.

import DLCore
import DLData
import DLPreprocessing
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class ModelPreprocessingTests: XCTestCase {
    /// A preprocessing as a fit on a penguins-like table gives, built by hand: every kind of column.
    static let preprocessing = Preprocessing(
        columns: [
            FittedColumn(
                name: "bill_length_mm", type: FeatureType(.floatNormalized), inferred: true, fill: 43.92, indicator: true,
                mean: 43.92, variance: 29.81),
            FittedColumn(
                name: "body_mass_g", type: FeatureType(.floatDiscretized, numBins: 4), inferred: false, fill: 4201.75,
                boundaries: [3550, 4050, 4750]),
            FittedColumn(name: "island", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["Biscoe", "Dream", "Torgersen"]),
            FittedColumn(
                name: "sex", type: FeatureType(.stringCategorical, numOOVIndices: 2, outputMode: .int), inferred: false,
                vocabulary: ["male", "female"]),
            FittedColumn(name: "year", type: FeatureType(.integerCategorical), inferred: false, integerVocabulary: [2009, 2008, 2007]),
            FittedColumn(name: "species_name", type: FeatureType(.stringHashed, numBins: 8), inferred: false),
            FittedColumn(
                name: "flipper_length_mm", type: FeatureType(.floatRescaled, scale: 0.01, offset: -1), inferred: false, fill: 200.5),
        ],
        crosses: [FittedCross(cross: FeatureCross(columns: ["island", "year"], crossingDim: 16), columnIndices: [2, 4])],
        naValues: PreprocessingSettings.defaultNAValues)

    /// The breast-cancer job, not standardized, whose model files lend what a preprocessed one does
    /// not change.
    static func numericJob() throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.standardize = false
        return try TrainingJob(settings)
    }

    /// A model file of `preprocessing` (any weights).
    static func model(_ preprocessing: Preprocessing = preprocessing) throws -> ModelFile {
        let job = try numericJob()
        var model = ModelFile(job: job, parameters: [Float](repeating: 0, count: job.model.layout.count), epochs: 1)
        model.model = try ModelSpec(inputDim: preprocessing.outputWidth, layers: job.model.layers)
        model.parameters = (0..<model.model.layout.count).map { Float($0 % 7) / 8 - 0.25 }
        model.features = preprocessing.outputNames
        model.standardization = nil
        model.preprocessing = preprocessing
        return model
    }

    func testThePreprocessingIsStoredAndReadsBackToTheSameBytes() throws {
        let model = try Self.model()
        let bytes = model.safeTensors().encoded()
        let read = try ModelFile(SafeTensors(decoding: bytes, path: "m.safetensors"), path: "m.safetensors")
        XCTAssertEqual(read.preprocessing, Self.preprocessing)
        XCTAssertEqual(read, model)
        XCTAssertEqual(read.safeTensors().encoded(), bytes)
        // Stored under its own key, snake_case as the other keys, options Keras's names.
        let stored = try XCTUnwrap(model.safeTensors().metadata["preprocessing"])
        for key in ["\"na_values\"", "\"num_oov_indices\":2", "\"integer_vocabulary\"", "\"crossing_dim\":16", "\"column_indices\""] {
            XCTAssertTrue(stored.contains(key), "\(key) in \(stored)")
        }
        // A model without one has no key.
        let job = try Self.numericJob()
        let numeric = ModelFile(job: job, parameters: [Float](repeating: 0, count: job.model.layout.count), epochs: 1)
        XCTAssertNil(numeric.safeTensors().metadata["preprocessing"])
    }

    /// The model file with its preprocessing metadata edited by `edit` (on the JSON object).
    private func reason(_ edit: (inout [String: Any]) -> Void, model: ModelFile? = nil) throws -> String {
        var file = try (model ?? Self.model()).safeTensors()
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(file.metadata["preprocessing"]!.utf8)) as? [String: Any])
        edit(&object)
        file.metadata["preprocessing"] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return refusal(file)
    }

    private func refusal(_ file: SafeTensors) -> String {
        do {
            _ = try ModelFile(SafeTensors(decoding: file.encoded(), path: "edited.safetensors"), path: "edited.safetensors")
            return "accepted"
        } catch let RunError.inconsistentModelFile(path, reason) {
            XCTAssertEqual(path, "edited.safetensors")
            return reason
        } catch {
            return "another error: \(error)"
        }
    }

    /// Edits the column named `name` in the preprocessing object.
    private func column(_ name: String, _ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
        { object in
            var columns = object["columns"] as! [[String: Any]]
            let index = columns.firstIndex { $0["name"] as? String == name }!
            edit(&columns[index])
            object["columns"] = columns
        }
    }

    func testEditedPreprocessingIsRefusedWithTheFileNamed() throws {
        let refusals = [
            "a vocabulary duplicate": try reason(column("island") { $0["vocabulary"] = ["Biscoe", "Dream", "Biscoe"] }),
            "a NaN fill": try reason(column("bill_length_mm") { $0["fill"] = "nan" }),
            "an infinite mean": try reason(column("bill_length_mm") { $0["mean"] = "inf" }),
            "a negative variance": try reason(column("bill_length_mm") { $0["variance"] = -1 }),
            "unsorted boundaries": try reason(column("body_mass_g") { $0["boundaries"] = [4050, 3550, 4750] }),
            "huge num_bins": try reason(column("species_name") { $0["type"] = ["type": "string_hashed", "num_bins": Int.max] }),
            "num_bins 0": try reason(column("species_name") { $0["type"] = ["type": "string_hashed", "num_bins": 0] }),
            "a huge OOV count": try reason(column("sex") { $0["type"] = ["type": "string_categorical", "num_oov_indices": Int.max] }),
            "a cross of a missing column": try reason { $0["crosses"] = [["cross": ["features": ["island", "year"], "crossing_dim": 16, "output_mode": "one_hot"], "column_indices": [2, 99]]] },
            "a width that is not the model's": try reason(column("island") { $0["vocabulary"] = ["Biscoe", "Dream", "Torgersen", "Zeta"] }),
            "an unknown type": try reason(column("island") { $0["type"] = ["type": "string_embedded"] }),
            "not an object": try reason { $0 = ["columns": 3] },
        ]
        for (edit, reason) in refusals {
            XCTAssertFalse(reason == "accepted" || reason.hasPrefix("another error"), "\(edit): \(reason)")
            XCTAssertTrue(reason.hasPrefix("metadata preprocessing") || reason.hasPrefix("preprocessing: "), "\(edit): \(reason)")
        }
        XCTAssertTrue(refusals["a width that is not the model's"]!.contains("the model has 40"), refusals["a width that is not the model's"]!)

        // The inputs must be the ones it makes, in its order.
        var swapped = try Self.model()
        swapped.features.swapAt(0, 1)
        XCTAssertTrue(refusal(swapped.safeTensors()).contains("bill_length_mm"), refusal(swapped.safeTensors()))
        // dltrain writes a standardization or a preprocessing, never both.
        var both = try Self.model()
        both.standardization = Standardization(mean: [Float](repeating: 0, count: 40), scale: [Float](repeating: 1, count: 40))
        XCTAssertTrue(refusal(both.safeTensors()).contains("standardization"), refusal(both.safeTensors()))
        var notJSON = try Self.model().safeTensors()
        notJSON.metadata["preprocessing"] = "{columns"
        XCTAssertTrue(refusal(notJSON).hasPrefix("metadata preprocessing: "), refusal(notJSON))
    }

    func testACheckpointKeepsThePreprocessingAndAJobFittingAnotherCannotUseIt() throws {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 1
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        var checkpoint = Checkpoint(job: job, progress: trainer.progress)
        // One column of 29 words and an out-of-vocabulary index: the model's 30 inputs.
        let words = Preprocessing(
            columns: [FittedColumn(name: "word", type: FeatureType(.stringCategorical), inferred: true, vocabulary: (1...29).map { "w\($0)" })],
            crosses: [], naValues: ["", "NA"])
        checkpoint.preprocessing = words
        let path = try temporaryDirectory(self) + "/checkpoint.safetensors"
        try checkpoint.write(to: path)
        XCTAssertEqual(try Checkpoint.read(path: path), checkpoint)
        XCTAssertEqual(try Checkpoint.read(path: path).preprocessing, words)
        // The job fits none: the checkpoint is not its.
        XCTAssertTrue(try XCTUnwrap(checkpoint.inconsistency(for: job)).hasPrefix("preprocessing: "))
        checkpoint.preprocessing = nil
        XCTAssertNil(checkpoint.inconsistency(for: job))

        // Edited, and sealed again as anyone can: refused with the file named.
        func refusal(_ edit: (inout Preprocessing) -> Void) throws -> String {
            var edited = words
            edit(&edited)
            checkpoint.preprocessing = edited
            try checkpoint.write(to: path)
            do {
                _ = try Checkpoint.read(path: path)
                return "accepted"
            } catch let RunError.inconsistentCheckpoint(refused, reason) {
                XCTAssertEqual(refused, path)
                return reason
            }
        }
        XCTAssertTrue(try refusal { $0.columns[0].vocabulary?[1] = "w1" }.hasPrefix("preprocessing: "))
        XCTAssertEqual(
            try refusal { $0.columns[0].vocabulary?.append("w30") }, "preprocessing: its columns make 31 input(s); the model has 30")
    }

    func testTheSummaryListsEveryColumnWithItsTypeAndWhatItBecomes() throws {
        let model = try Self.model()
        let record = try ModelFile.decoder.decode(ModelSummary.Record.self, from: Data(ModelSummary.json(of: model).utf8))
        XCTAssertEqual(record, ModelSummary.Record(model))
        let columns = try XCTUnwrap(record.columns)
        XCTAssertEqual(columns.map(\.name), Self.preprocessing.columns.map(\.name))
        let byName = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0) })

        let island = try XCTUnwrap(byName["island"])
        XCTAssertEqual(island.type, .stringCategorical)
        XCTAssertTrue(island.inferred)
        XCTAssertEqual(island.outputMode, .oneHot)
        XCTAssertEqual(island.inputs, 4)
        XCTAssertEqual(island.values, ["[OOV]", "Biscoe", "Dream", "Torgersen"])
        XCTAssertEqual(island.values?.map { "island=\($0)" }.filter(record.features.contains).count, 4, "the inputs named for its values")

        let sex = try XCTUnwrap(byName["sex"])
        XCTAssertFalse(sex.inferred)
        XCTAssertEqual(sex.outputMode, .int)
        XCTAssertEqual(sex.inputs, 1)
        XCTAssertEqual(sex.values, ["[OOV0]", "[OOV1]", "male", "female"])

        XCTAssertEqual(byName["year"]?.values, ["[OOV]", "2009", "2008", "2007"])
        XCTAssertEqual(byName["year"]?.inputs, 4)

        let bill = try XCTUnwrap(byName["bill_length_mm"])
        XCTAssertEqual(bill.type, .floatNormalized)
        XCTAssertEqual(bill.inputs, 1)
        XCTAssertEqual(bill.mean, 43.92)
        XCTAssertEqual(bill.variance, 29.81)
        XCTAssertEqual(bill.fill, 43.92)
        XCTAssertTrue(bill.indicator)

        let mass = try XCTUnwrap(byName["body_mass_g"])
        XCTAssertEqual(mass.inputs, 4)
        XCTAssertEqual(mass.boundaries, [3550, 4050, 4750])
        XCTAssertEqual(mass.fill, 4201.75)
        XCTAssertFalse(mass.indicator)

        XCTAssertEqual(byName["species_name"]?.bins, 8)
        XCTAssertEqual(byName["species_name"]?.inputs, 8)
        XCTAssertEqual(byName["flipper_length_mm"]?.scale, 0.01)
        XCTAssertEqual(byName["flipper_length_mm"]?.offset, -1)

        XCTAssertEqual(record.crosses, [InputCross(Self.preprocessing.crosses[0])])
        XCTAssertEqual(record.crosses?.first?.inputs, 16)
        XCTAssertEqual(record.naValues, PreprocessingSettings.defaultNAValues)
        // Every input is some column's, a cross's or an indicator.
        XCTAssertEqual(columns.map(\.inputs).reduce(0, +) + 16 + 1, record.features.count)

        // The text lists each column once, on its own line, named first.
        let lines = ModelSummary.text(of: model).split(separator: "\n")
        for column in columns {
            XCTAssertEqual(lines.filter { $0.hasPrefix("  \(column.name): ") }.count, 1, column.name)
        }
    }

    /// A model of a numeric table says nothing of columns.
    func testANumericModelsSummaryHasNoColumns() throws {
        let job = try Self.numericJob()
        let model = ModelFile(job: job, parameters: [Float](repeating: 0, count: job.model.layout.count), epochs: 1)
        let record = try ModelFile.decoder.decode(ModelSummary.Record.self, from: Data(ModelSummary.json(of: model).utf8))
        XCTAssertNil(record.columns)
        XCTAssertFalse(record.standardization)
        XCTAssertEqual(record.features.count, 30)
    }
}
