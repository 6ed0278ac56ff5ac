// dlcoord as a user runs it: the seed job with no options, reproducible model files, job files,
// --help, and a located error with a non-zero exit (and nothing written) for every kind of bad input.

import DLTestSupport
import DLRun
import Foundation
import XCTest

final class DLCoordLocalTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    func testNoOptionsRunsTheSeedJob() throws {
        // A directory holding only the data set, as a user's checkout would.
        let directory = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: directory + "/dataset", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Repository.root + "/dataset/ThoraricSurgery.csv", toPath: directory + "/dataset/ThoraricSurgery.csv")
        let result = try dlcoord.run([], in: directory)
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Epoch 1/100\n47/47 - "), result.output)
        XCTAssertTrue(result.output.contains("Epoch 100/100\n47/47 - "))
        XCTAssertTrue(result.output.contains("17 inputs -> 30 relu -> 1 sigmoid (571 parameters), loss mean_squared_error, optimizer adam"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory + "/runs")
        XCTAssertEqual(runs.count, 1)
        let run = directory + "/runs/" + runs[0]
        let model = try ModelFile.read(path: run + "/model.safetensors")
        XCTAssertEqual(model.training.epochs, 100)
        XCTAssertEqual(model.training.seed, 3)
        XCTAssertEqual(model.features.count, 17)
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 100)
        let last = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[99].utf8)) as? [String: Double])
        XCTAssertEqual(last["epoch"], 100)
        XCTAssertEqual(try XCTUnwrap(last["accuracy"]), 0.851, accuracy: 0.03)
    }

    func testModelFilesAreByteIdenticalAcrossRuns() throws {
        let directory = try temporaryDirectory(self)
        for shards in ["1", "4"] {
            var files: [Data] = []
            for run in ["a", "b"] {
                let result = try dlcoord.run(
                    ["--local", "--epochs", "10", "--shards", shards, "--verbose", "0", "--run-dir", "\(directory)/\(shards)\(run)"])
                XCTAssertEqual(result.status, 0, result.errors)
                XCTAssertEqual(result.output, "")
                files.append(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(shards)\(run)/model.safetensors")))
            }
            XCTAssertEqual(files[0], files[1], "--shards \(shards)")
        }
    }

    func testJobFileWithFlagsOverridingIt() throws {
        let directory = try temporaryDirectory(self)
        let job = directory + "/job.json"
        try Data("""
            {"data": "dataset/breast_cancer.csv", "label_column": "diagnosis", "layers": "16:relu,1:sigmoid",
             "loss": "binary_crossentropy", "metrics": ["accuracy", "auc"], "validation_split": 0.2,
             "standardize": true, "epochs": 50}
            """.utf8).write(to: URL(fileURLWithPath: job))
        let result = try dlcoord.run(["--local", "--config", job, "--epochs", "3", "--verbose", "2", "--run-dir", directory + "/run"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Epoch 3/3\n46/46 - "), result.output)
        XCTAssertFalse(result.output.contains("Epoch 4/"))
        XCTAssertTrue(result.output.contains(" - val_loss: "))
        XCTAssertTrue(result.output.contains(" - val_auc: "))
        let model = try ModelFile.read(path: directory + "/run/model.safetensors")
        XCTAssertEqual(model.labels.classes, ["B", "M"])
        XCTAssertEqual(model.metrics, ["accuracy", "auc"])
        XCTAssertEqual(model.training.validationRows, 114)
    }

    func testHelpExplainsTheOptions() throws {
        let result = try dlcoord.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for option in ["--local", "--data", "--header", "--no-header", "--label-column", "--features", "--layers", "--loss",
                       "--optimizer", "--learning-rate", "--metrics", "--epochs", "--batch-size", "--seed", "--shards",
                       "--validation-split", "--standardize", "--config", "--run-dir", "--verbose"] {
            XCTAssertTrue(result.output.contains(option), "--help lacks \(option)")
        }
        XCTAssertTrue(result.output.contains("trains the seed job"))
    }

    /// Each bad input: its CSV text, extra flags, and what the error must say after the file name.
    func testEveryBadInputGetsALocatedErrorAndWritesNothing() throws {
        let directory = try temporaryDirectory(self)
        let cases: [(name: String, csv: String?, flags: [String], message: String)] = [
            // A word is a category unless the column's type is a number's; a NaN cell is a missing value.
            ("not-a-number", "1,2,0\n3,x7,1\n", ["--feature-types", "column 1=float"],
             ":2: column 1 (\"column 1\"): found \"x7\" where float takes a number"),
            ("wrong-count", "1,2,0\n3,4\n", [], ":2: expected 3 fields like the first record, found 2"),
            ("empty", "", [], ": no data rows (the file is empty or holds only a header)"),
            ("header-only", "a,b,label\n", [], ": no data rows"),
            ("infinity", "1,2,0\n3,1e39,1\n", [], ":2: column 1: \"1e39\" is not a finite 32-bit float"),
            ("label-range", "1,2,0\n3,4,2\n", ["--loss", "binary_crossentropy"],
             ":2: column 2: the label holds the whole numbers 0 to 2, which the output layer 1:sigmoid with binary_crossentropy "
                + "cannot represent"),
            ("unknown-column", "a,b,y\n1,2,0\n", ["--label-column", "label"], ": no column named \"label\"; the header has \"a\", \"b\", \"y\""),
            ("unclosed-quote", "1,2,0\n\"3,4,1\n", [], ":2: a quoted field is not closed on this line"),
        ]
        for testCase in cases {
            let path = directory + "/\(testCase.name).csv"
            if let csv = testCase.csv { try Data(csv.utf8).write(to: URL(fileURLWithPath: path)) }
            let runDirectory = directory + "/run-\(testCase.name)"
            let result = try dlcoord.run(["--local", "--data", path, "--epochs", "1", "--run-dir", runDirectory] + testCase.flags)
            XCTAssertEqual(result.status, 1, testCase.name)
            XCTAssertTrue(
                result.errors.hasPrefix("dlcoord: error: \(path)\(testCase.message)"), "\(testCase.name): \(result.errors)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: runDirectory), "\(testCase.name) wrote \(runDirectory)")
        }
        let missing = try dlcoord.run(["--local", "--data", directory + "/missing.csv", "--run-dir", directory + "/run"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.errors, "dlcoord: error: \(directory)/missing.csv: no such file; check the path\n")
    }

    func testBadSettingsAreNamed() throws {
        for (flags, message) in [
            (["--loss", "hinge"], "dlcoord: error: unknown loss \"hinge\""),
            (["--optimizer", "lamb"], "dlcoord: error: unknown optimizer \"lamb\""),
            (["--metrics", "f1"], "dlcoord: error: unknown metric \"f1\""),
            (["--config", "/nonexistent/job.json"], "dlcoord: error: /nonexistent/job.json: not a valid job file"),
        ] {
            let result = try dlcoord.run(["--local", "--run-dir", "/nonexistent/never"] + flags)
            XCTAssertEqual(result.status, 1, "\(flags)")
            XCTAssertTrue(result.errors.hasPrefix(message), "\(flags): \(result.errors)")
        }
        // A value out of its range is a usage error naming the flag (UsageErrorTests has every one).
        let batch = try dlcoord.run(["--local", "--run-dir", "/nonexistent/never", "--batch-size", "0"])
        XCTAssertEqual(batch.status, 64, batch.errors)
        XCTAssertTrue(batch.errors.hasPrefix("dlcoord: error: --batch-size 0: it must be from 1 to"), batch.errors)
        let layers = try dlcoord.run(["--local", "--run-dir", "/nonexistent/never", "--layers", "30relu"])
        XCTAssertEqual(layers.status, 64, layers.errors)
        XCTAssertTrue(layers.errors.hasPrefix("dlcoord: error: --layers 30relu: bad layer \"30relu\""), layers.errors)
        let verbose = try dlcoord.run(["--local", "--verbose", "3"])
        XCTAssertNotEqual(verbose.status, 0)
        XCTAssertTrue(verbose.errors.contains("--verbose must be 0, 1 or 2"))
    }
}
