// Bad options of Keras's `fit` as users mistype them, through the real dlcoord: each is refused before
// anything trains, in one line that names what to fix. A value wrong on its face (a dropout rate
// outside [0, 1), an unknown schedule, options Keras refuses together) is a usage error naming its
// flag (status 64); one wrong for the data, found once it is read, is an error of status 1 that names
// the flag (a class the label does not have) or the file, line and column (a weight column with words
// or negative numbers).

import DLTestSupport
import Foundation
import XCTest

final class FitOptionErrorTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let seedData = Repository.dataset("ThoraricSurgery.csv")

    /// Refused before the data is read: status 64, one line, the flag named and what it takes. Each beside the
    /// same option with a good value, which trains (so the refusal is the value's, not the option's).
    func testAnOptionWrongOnItsFaceIsAUsageErrorNamingItsFlag() throws {
        let directory = try temporaryDirectory(self)
        let cases: [(arguments: [String], good: [String], flag: String, hint: String)] = [
            (["--layers", "30:relu,dropout:1,1:sigmoid"], ["--layers", "30:relu,dropout:0.5,1:sigmoid"], "--layers", "dropout"),
            (["--layers", "30:relu,dropout:1.5,1:sigmoid"], ["--layers", "30:relu,dropout:0,1:sigmoid"], "--layers", "dropout"),
            (["--layers", "dropout:-0.1,30:relu,1:sigmoid"], ["--layers", "dropout:0.1,30:relu,1:sigmoid"], "--layers", "dropout"),
            (["--lr-schedule", "cosine_decy:decay_steps=100"], ["--lr-schedule", "cosine_decay:decay_steps=100"], "--lr-schedule",
             "cosine_decay"),
            (["--lr-schedule", "linear_decay:decay_steps=100"], ["--lr-schedule", "polynomial_decay:decay_steps=100"],
             "--lr-schedule", "cosine_decay"),
            (["--class-weight", "balanced", "--sample-weight-column", "0"], ["--class-weight", "balanced"], "--class-weight",
             "sample_weight"),
            (["--lr-schedule", "cosine_decay:decay_steps=100", "--reduce-lr-on-plateau", "defaults"],
             ["--reduce-lr-on-plateau", "monitor=loss"], "--reduce-lr-on-plateau", "--lr-schedule"),
        ]
        for (index, (arguments, good, flag, hint)) in cases.enumerated() {
            let common = ["--local", "--data", seedData, "--epochs", "1", "--verbose", "0"]
            let trained = try dlcoord.run(common + ["--run-dir", directory + "/good-\(index)"] + good, in: directory, timeout: 60)
            XCTAssertEqual(trained.status, 0, "\(good) trains: \(trained.errors)")
            let result = try dlcoord.run(common + ["--run-dir", directory + "/run"] + arguments, in: directory, timeout: 30)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.errors)")
            XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: "), "\(arguments): \(result.errors)")
            XCTAssertEqual(result.errors.split(separator: "\n").count, 1, "\(arguments): \(result.errors)")
            XCTAssertTrue(result.errors.contains(flag), "\(arguments) names \(flag): \(result.errors)")
            XCTAssertTrue(result.errors.contains(hint), "\(arguments) says \(hint): \(result.errors)")
            XCTAssertEqual(result.output, "", "\(arguments): nothing trained")
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run"), "\(arguments): no run directory")
        }
    }

    /// The seed label's classes are 0 and 1: a weight for class 2 is a mistake, refused naming the classes the
    /// label has, before the first epoch; weights for 0 and 1 train.
    func testAClassWeightForAClassTheLabelLacksNamesTheClasses() throws {
        let directory = try temporaryDirectory(self)
        let common = ["--local", "--data", seedData, "--epochs", "1", "--verbose", "1"]
        let trained = try dlcoord.run(common + ["--class-weight", "0:1,1:5", "--run-dir", directory + "/good"], in: directory)
        XCTAssertEqual(trained.status, 0, trained.errors)
        let result = try dlcoord.run(common + ["--class-weight", "0:1,2:5", "--run-dir", directory + "/run"], in: directory)
        // Found once the label is read, as the data's errors are: status 1.
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: "), result.errors)
        XCTAssertEqual(result.errors.split(separator: "\n").count, 1, result.errors)
        XCTAssertTrue(result.errors.contains("--class-weight"), "names the flag (docs/cli.md): \(result.errors)")
        XCTAssertTrue(result.errors.contains("0:1,2:5"), "quotes the option: \(result.errors)")
        XCTAssertTrue(result.errors.contains("class 2"), "names the class: \(result.errors)")
        XCTAssertTrue(result.errors.contains("0, 1"), "lists the label's classes: \(result.errors)")
        XCTAssertFalse(result.output.contains("Epoch 1/"), result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run/model.safetensors"))
    }

    /// A weight that is a word, or a negative number, in the sample weight column: the file, line and column,
    /// in one process and on a coordinator; weights that are numbers of 0 or more train.
    func testAWeightColumnWithAWordOrANegativeNumberIsALocatedDataError() throws {
        let directory = try temporaryDirectory(self)
        let rows = try String(contentsOfFile: seedData, encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
        let header = "weight," + (0..<17).map { "f\($0)" }.joined(separator: ",") + ",survived"
        for (name, cell) in [("good", "0"), ("word", "heavy"), ("negative", "-1")] {
            // Line 1 is the header; the cell under test is on line 5, every other weight 1.5.
            let lines = [header] + rows.enumerated().map { index, row in (index == 3 ? cell : "1.5") + "," + row }
            let path = directory + "/\(name).csv"
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            for mode in [["--local"], ["--workers", "2", "--spawn"]] {
                let run = directory + "/run-\(name)-\(mode.count)"
                let result = try dlcoord.run(
                    mode + ["--data", path, "--sample-weight-column", "weight", "--epochs", "1", "--verbose", "1", "--run-dir", run],
                    in: directory, timeout: 60)
                if name == "good" {
                    XCTAssertEqual(result.status, 0, "\(mode): \(result.errors)")
                    XCTAssertTrue(result.output.contains("17 inputs"), "the weight column is no feature: \(result.output)")
                    continue
                }
                XCTAssertEqual(result.status, 1, "\(name) \(mode): \(result.errors)")
                XCTAssertTrue(result.errors.contains("\(path):5: column 0 (\"weight\")"), "\(name) \(mode): \(result.errors)")
                XCTAssertTrue(result.errors.contains(cell), "\(name) \(mode) quotes the cell: \(result.errors)")
                XCTAssertFalse(result.output.contains("Epoch 1/"), "\(name) \(mode): \(result.output)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/model.safetensors"))
            }
        }
    }
}
