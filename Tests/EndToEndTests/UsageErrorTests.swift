// Command lines as users from other tools write them: a usage error of any dltrain command is one
// `COMMAND: error:` line with the flag meant and exit status 64 (docs/cli.md); `--lr` is accepted;
// `--help` shows the defaults that matter.

import DLTestSupport
import Foundation
import XCTest

final class UsageErrorTests: XCTestCase {
    /// Each mistake, the command it is made to, and the flag the error must point at (nil: none).
    func testAUsageErrorIsOneLineWithTheFlagMeantAndStatus64() throws {
        let directory = try temporaryDirectory(self)
        let cases: [(command: String, arguments: [String], meant: String?)] = [
            ("dlcoord", ["--batch_size", "5"], "--batch-size"),
            ("dlcoord", ["--num-epochs", "5"], "--epochs"),
            ("dlcoord", ["--num-workers", "2"], "--workers"),
            ("dlcoord", ["--learnig-rate", "0.1"], "--learning-rate"),
            ("dlcoord", ["--zzzz"], nil),
            ("dlcoord", ["--verbose", "7"], nil),
            ("dlcoord", ["--epochs"], nil),
            // Values that would trap or exhaust the process further on are refused where they enter.
            ("dlcoord", ["--workers", "1", "--wait-timeout", "1e300"], nil),
            ("dlcoord", ["--workers", "1", "--rejoin-timeout", "nan"], nil),
            ("dlcoord", ["--threads", "100000"], nil),
            ("dlcoord", ["--workers", "1", "--min-workers", "3"], nil),
            ("dlworker", ["--connect", "ipc:///tmp/none.ipc", "--coordinator-timeout", "inf"], nil),
            ("dlworker", ["--connect", "ipc:///tmp/none.ipc", "--threads", "0"], nil),
            ("dlworker", ["--coordinator", "tcp://127.0.0.1:5555"], "--connect"),
            ("dlworker", [], nil),
            ("dlmodel", ["predict", directory, "--dat", "x.csv"], "--data"),
        ]
        for (command, arguments, meant) in cases {
            let result = try Executable(name: command).run(arguments, in: directory, timeout: 30)
            XCTAssertEqual(result.status, 64, "\(command) \(arguments): \(result.errors)")
            let lines = result.errors.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(command) \(arguments): \(result.errors)")
            XCTAssertTrue(result.errors.hasPrefix("\(command): error: "), result.errors)
            XCTAssertTrue(result.errors.contains("--help"), "says where the options are listed: \(result.errors)")
            if let meant {
                XCTAssertTrue(result.errors.contains("did you mean \(meant)?"), "\(command) \(arguments): \(result.errors)")
            } else {
                XCTAssertFalse(result.errors.contains("did you mean"), "\(command) \(arguments): \(result.errors)")
            }
            XCTAssertEqual(result.output, "")
        }
    }

    /// Every numeric flag refuses NaN, infinity, negative and huge values where it enters, naming
    /// itself and what it takes: a negative number is a value (`--epochs -1` is out of range, not
    /// "missing a value"), with or without `=`.
    func testNumericFlagsOutOfRangeAreUsageErrorsNamingTheFlag() throws {
        let directory = try temporaryDirectory(self)
        let cases: [(command: String, arguments: [String], flag: String)] = [
            ("dlcoord", ["--epochs", "-1"], "--epochs"),
            ("dlcoord", ["--epochs=-1"], "--epochs"),
            ("dlcoord", ["--epochs", "1.5"], "--epochs"),
            ("dlcoord", ["--batch-size", "9223372036854775807"], "--batch-size"),
            ("dlcoord", ["--shards", "0"], "--shards"),
            ("dlcoord", ["--early-stopping-patience", "-3"], "--early-stopping-patience"),
            ("dlcoord", ["--min-delta", "nan"], "--min-delta"),
            ("dlcoord", ["--learning-rate", "1e300"], "--learning-rate"),
            ("dlcoord", ["--learning-rate", "-0.1"], "--learning-rate"),
            ("dlcoord", ["--validation-split", "inf"], "--validation-split"),
            ("dlcoord", ["--optimizer-args", "beta_1=nan"], "--optimizer-args"),
            ("dlcoord", ["--features", "0-999999,0-999999"], "--features"),
            ("dlcoord", ["--read-chunk", "99999999999999"], "--read-chunk"),
            ("dlcoord", ["--workers", "-2"], "--workers"),
            ("dlcoord", ["--workers", "1", "--wait-timeout", "-1"], "--wait-timeout"),
            ("dlcoord", ["--workers", "1", "--wait-timeout=-1"], "--wait-timeout"),
            ("dlcoord", ["--workers", "1", "--worker-timeout", "inf"], "--worker-timeout"),
            ("dlworker", ["--connect", "ipc:///tmp/none.ipc", "--reconnect-timeout", "-5"], "--reconnect-timeout"),
        ]
        for (command, arguments, flag) in cases {
            let result = try Executable(name: command).run(arguments, in: directory, timeout: 30)
            XCTAssertEqual(result.status, 64, "\(command) \(arguments): \(result.errors)")
            XCTAssertEqual(result.errors.split(separator: "\n").count, 1, "\(command) \(arguments): \(result.errors)")
            XCTAssertTrue(result.errors.contains(flag), "\(command) \(arguments) names \(flag): \(result.errors)")
            XCTAssertFalse(result.errors.contains("Missing value"), "\(command) \(arguments): \(result.errors)")
        }
    }

    /// `--lr`, as PyTorch and Keras scripts spell it, sets the learning rate.
    func testLRIsTheLearningRate() throws {
        let directory = try temporaryDirectory(self)
        let data = Repository.dataset("ThoraricSurgery.csv")
        for (flag, run) in [("--lr", "a"), ("--learning-rate", "b")] {
            let result = try Executable(name: "dlcoord").run(
                ["--local", "--data", data, "--epochs", "2", "--verbose", "0", flag, "0.01", "--run-dir", directory + "/" + run],
                in: directory)
            XCTAssertEqual(result.status, 0, result.errors)
        }
        XCTAssertEqual(try model(in: directory + "/a"), try model(in: directory + "/b"))
        XCTAssertNotEqual(try model(in: directory + "/a"), try localModel(["--data", data, "--epochs", "2"]))
    }

    /// Every default a new user needs to read a run's settings is in --help.
    func testHelpShowsTheDefaultsThatMatter() throws {
        let help = try Executable(name: "dlcoord").run(["--help"], timeout: 30).output
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        for (option, value) in [
            ("--layers", "30:relu,1:sigmoid"), ("--loss", "mean_squared_error"), ("--optimizer", "adam"), ("--epochs", "100"),
            ("--batch-size", "10"), ("--seed", "3"), ("--delimiter", ","), ("--validation-split", "0.0"),
            ("--metrics", "accuracy"), ("--data", "dataset/ThoraricSurgery.csv"),
        ] {
            guard let start = help.range(of: "\(option) <") else { XCTFail("--help lacks \(option)"); continue }
            let entry = help[start.upperBound...].prefix(400)
            XCTAssertTrue(entry.contains("default: \(value)"), "\(option): \(entry)")
        }
    }
}
