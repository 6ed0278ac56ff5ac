// dlcoord's preprocessing flags as a user gives them: what each sets (read back from the settings
// the run's checkpoint keeps), the usage error (status 64, one line naming the flag) for
// each value they refuse, and --help, which shows the types with Keras's names and the defaults.

import DLPreprocessing
import DLRun
import DLTestSupport
import Foundation
import XCTest

final class PreprocessingFlagTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    func testFlagsSetThePreprocessingSettings() throws {
        let directory = try temporaryDirectory(self)
        let data = directory + "/table.csv"
        try Data("colour,size,weight,label\n1,1,2.5,0\n2,2,-999,1\n1,3,-1,0\n3,4,0.5,1\n".utf8).write(to: URL(fileURLWithPath: data))
        let result = try dlcoord.run([
            "--local", "--data", data, "--epochs", "1", "--batch-size", "2", "--verbose", "0", "--run-dir", directory + "/run",
            "--feature-types", "colour=string_categorical:num_oov_indices=2,size=integer_categorical:output_mode=int",
            "--feature-crosses", "colour*size:crossing_dim=8", "--na-values", ",NA,-999", "--fill", "-0.5",
            "--missing-indicators", "--max-vocabulary", "100",
        ])
        XCTAssertEqual(result.status, 0, result.errors)
        // The settings the checkpoint keeps, read as a job file (their JSON is one).
        let path = try XCTUnwrap(Checkpointer.paths(in: directory + "/run").first)
        let checkpoint = try SafeTensors(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        let settings = try JobFile.decode(Data(try XCTUnwrap(checkpoint.metadata["settings"]).utf8), path: path)
        XCTAssertEqual(settings.preprocessing, PreprocessingSettings(
            featureTypes: [
                "colour": FeatureType(.stringCategorical, numOOVIndices: 2), "size": FeatureType(.integerCategorical, outputMode: .int),
            ],
            crosses: [FeatureCross(columns: ["colour", "size"], crossingDim: 8)],
            naValues: ["", "NA", "-999"], fill: .value(-0.5), missingIndicators: true, maxVocabulary: 100))
    }

    /// A resume continues the checkpoint's job: other preprocessing flags are refused, naming the
    /// setting; the same ones continue it.
    func testAResumeWithOtherPreprocessingFlagsIsRefused() throws {
        let directory = try temporaryDirectory(self)
        let data = directory + "/table.csv"
        try Data("a,b,label\n1,1,0\n2,2,1\n1,3,0\n3,4,1\n".utf8).write(to: URL(fileURLWithPath: data))
        let run = directory + "/run"
        let first = try dlcoord.run(["--local", "--data", data, "--epochs", "1", "--batch-size", "2", "--verbose", "0", "--run-dir", run, "--fill", "median"])
        XCTAssertEqual(first.status, 0, first.errors)
        let changed = try dlcoord.run(["--local", "--resume", run, "--epochs", "2", "--verbose", "0", "--fill", "zero"])
        XCTAssertEqual(changed.status, 1, changed.errors)
        XCTAssertTrue(changed.errors.contains("fill (checkpoint \"median\", now \"zero\")"), changed.errors)
        let same = try dlcoord.run(["--local", "--resume", run, "--epochs", "2", "--verbose", "0", "--fill", "median"])
        XCTAssertEqual(same.status, 0, same.errors)
    }

    /// Each value refused where it enters: status 64, one `dlcoord: error:` line that starts with
    /// the flag, and nothing written.
    func testABadValueIsAUsageErrorNamingTheFlag() throws {
        let directory = try temporaryDirectory(self)
        // One of each way a flag is refused: its range (JobSettings.validate), its parser; each
        // parser's every range is DLPreprocessingTests' to check.
        let cases: [[String]] = [
            ["--max-vocabulary", "-5"],
            ["--feature-types", "island=colour"],
            ["--feature-types", "x=float_discretized"],
            ["--feature-crosses", "island"],
            ["--fill", "average"],
        ]
        for arguments in cases {
            let result = try dlcoord.run(["--local", "--run-dir", directory + "/never"] + arguments, in: directory, timeout: 30)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.errors)")
            XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: \(arguments[0]) "), "\(arguments): \(result.errors)")
            XCTAssertEqual(result.errors.split(separator: "\n").count, 1, "\(arguments): \(result.errors)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/never"), "\(arguments)")
        }
    }

    func testHelpListsTheTypesAndTheDefaults() throws {
        let result = try dlcoord.run(["--help"])
        XCTAssertEqual(result.status, 0)
        let help = result.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for flag in ["--feature-types", "--feature-crosses", "--na-values", "--fill", "--missing-indicators", "--max-vocabulary"] {
            XCTAssertTrue(help.contains(flag), "--help lacks \(flag)")
        }
        for kind in FeatureKind.allCases { XCTAssertTrue(help.contains(kind.rawValue), "--help lacks the type \(kind.rawValue)") }
        for option in ["num_bins", "max_tokens", "num_oov_indices", "output_mode", "crossing_dim"] {
            XCTAssertTrue(help.contains(option), "--help lacks the option \(option)")
        }
        XCTAssertTrue(help.contains("written \(PreprocessingSettings.defaultNAValues.joined(separator: ",")))"), help)
        XCTAssertTrue(help.contains("(default: mean)"))
        XCTAssertTrue(help.contains("(default: \(PreprocessingSettings.defaultMaxVocabulary))"))
    }
}
