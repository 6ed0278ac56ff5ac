// The note a run starts with on a preprocessed table: every feature column's type, given or
// inferred, as typed values and as the block the console prints; nothing for a table of numbers.

import DLCore
import DLData
import DLPreprocessing
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class FeatureTypesNoteTests: XCTestCase {
    /// Penguins-like columns: two inferred categories, an inferred number with gaps, a given type.
    private let preprocessing = Preprocessing(
        columns: [
            FittedColumn(
                name: "island", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["Biscoe", "Dream", "Torgersen"]),
            FittedColumn(
                name: "bill_length_mm", type: FeatureType(.floatNormalized), inferred: true, fill: 43.9, indicator: true,
                mean: 43.9, variance: 29.8),
            FittedColumn(name: "sex", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["male", "female"]),
            FittedColumn(
                name: "year", type: FeatureType(.integerCategorical, outputMode: .int), inferred: false,
                integerVocabulary: [2009, 2008, 2007]),
        ],
        crosses: [FittedCross(cross: FeatureCross(columns: ["island", "sex"], crossingDim: 8), columnIndices: [0, 2])],
        naValues: PreprocessingSettings.defaultNAValues)

    func testTheNoteHoldsEveryColumnAsTypedValues() {
        let note = FeatureTypesNote(preprocessing)
        XCTAssertEqual(note.columns.map(\.name), ["island", "bill_length_mm", "sex", "year"])
        XCTAssertEqual(note.columns.map(\.type), [.stringCategorical, .floatNormalized, .stringCategorical, .integerCategorical])
        XCTAssertEqual(note.columns.map(\.inferred), [true, true, true, false])
        XCTAssertEqual(note.columns.map { $0.values?.count }, [4, nil, 3, 4], "the vocabularies with their out-of-vocabulary index")
        XCTAssertEqual(note.columns.map(\.inputs), [4, 1, 3, 1])
        XCTAssertEqual(note.columns.map(\.indicator), [false, true, false, false])
        XCTAssertEqual(note.crosses.map(\.name), ["island_X_sex"])
        XCTAssertEqual(note.inputs, 4 + 1 + 3 + 1 + 8 + 1)
    }

    func testVerboseOneIsACompactBlockAndTwoALinePerColumn() {
        let note = FeatureTypesNote(preprocessing)
        let compact = note.text(verbose: 1)
        XCTAssertTrue(compact.hasPrefix("Features: island string_categorical (inferred), bill_length_mm float_normalized (inferred),"), compact)
        XCTAssertTrue(compact.contains("year \(FeatureType(.integerCategorical, outputMode: .int).text),"), compact)
        XCTAssertFalse(compact.contains("year integer_categorical:output_mode=int (inferred)"))
        XCTAssertTrue(compact.hasSuffix("island_X_sex (cross)"), compact)
        XCTAssertTrue(compact.split(separator: "\n").allSatisfy { $0.count <= FeatureTypesNote.lineWidth }, compact)
        let detailed = note.text(verbose: 2).split(separator: "\n").map(String.init)
        XCTAssertEqual(detailed.count, 1 + 4 + 1, detailed.joined(separator: "\n"))
        XCTAssertEqual(detailed[0], "Features: 4 columns -> 18 inputs")
        XCTAssertEqual(detailed[1], "  " + InputColumn(preprocessing.columns[0]).line)
        XCTAssertTrue(detailed[1].contains("4 inputs: [OOV], Biscoe, Dream, Torgersen"), detailed[1])
        XCTAssertEqual(detailed[5], "  " + InputCross(preprocessing.crosses[0]).line)
    }

    func testLongListsWrapIntoIndentedLines() {
        let items = (0..<30).map { "column_\($0) float (inferred)" }
        let lines = FeatureTypesNote.wrapped(items, first: "Features: ").split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 1)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix("  column_") })
        XCTAssertTrue(lines.allSatisfy { $0.count <= FeatureTypesNote.lineWidth })
        XCTAssertEqual(lines.joined(separator: " ").split(separator: ",").count, 30)
    }

    /// A run on a table with words and gaps: an observer reads every column's type from the job it
    /// starts, and the console prints the same before the first epoch.
    func testARunOnATableWithWordsNamesEveryColumnsType() throws {
        let directory = try temporaryDirectory(self)
        let data = directory + "/penguins.csv"
        try Data("""
            island,mass,sex,label
            Biscoe,3.5,male,1
            Dream,NA,female,0
            Biscoe,4.0,NA,1
            Torgersen,3.0,female,0

            """.utf8).write(to: URL(fileURLWithPath: data))
        var settings = JobSettings()
        settings.data = data
        settings.epochs = 1
        settings.batchSize = 2
        let started = StartObserver()
        var output = ""
        let run = TrainingRun(
            settings: settings, runDirectory: directory + "/run", verbose: 1, output: { output += $0 }, observers: [started])
        try run.runLocally()
        let columns = try XCTUnwrap(started.job?.data.preprocessing).columns
        XCTAssertEqual(columns.map(\.name), ["island", "mass", "sex"])
        XCTAssertEqual(columns.map(\.type.kind), [.stringCategorical, .float, .stringCategorical])
        XCTAssertEqual(columns.map(\.inferred), [true, true, true])
        XCTAssertTrue(
            output.replacingOccurrences(of: ",\n  ", with: ", ").contains(
                "Features: island string_categorical (inferred), mass float (inferred), sex string_categorical (inferred)\n"),
            output)
        XCTAssertLessThan(
            try XCTUnwrap(output.range(of: "Features: ")).lowerBound, try XCTUnwrap(output.range(of: "Epoch 1/1")).lowerBound)
    }

    /// A table of numbers has no preprocessing: the run's output has no note, as before.
    func testANumericRunPrintsNoNote() throws {
        let directory = try temporaryDirectory(self)
        let data = directory + "/numbers.csv"
        try SyntheticData.write(rows: 40, features: 3, to: data)
        var settings = JobSettings()
        settings.data = data
        settings.epochs = 1
        var output = ""
        let run = TrainingRun(settings: settings, runDirectory: directory + "/run", verbose: 2, output: { output += $0 })
        try run.runLocally()
        XCTAssertTrue(output.contains("Model: 3 inputs"), output)
        XCTAssertFalse(output.contains("Features:"), output)
    }
}

/// Keeps the job a run starts with.
private final class StartObserver: TrainingObserver {
    var job: TrainingJob?
    func runStarted(_ job: TrainingJob, at position: TrainingPosition) { self.job = job }
}
