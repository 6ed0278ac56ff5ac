// --threads as a user gives it: the model file of `dlcoord --local` is the same bytes for 1, 2 and
// 3 threads, a coordinator and workers with their own thread counts (each worker owning two
// shards) give the `--local` result, and a thread count below 1 is refused with a message. The job
// is a synthetic one wide enough that its products are split (64 -> 128 relu -> 128 relu -> 1).

import DLTestSupport
import Foundation
import XCTest

final class ThreadOptionTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    /// The wide synthetic job's flags on a freshly written file of `rows` rows.
    private func wideJob(rows: Int) throws -> [String] {
        let data = try temporaryDirectory(self) + "/synthetic.csv"
        try SyntheticData.write(rows: rows, features: 64, to: data)
        return ["--data", data, "--no-header", "--layers", "128:relu,128:relu,1:sigmoid", "--loss", "binary_crossentropy",
                "--batch-size", "256", "--epochs", "1"]
    }

    func testLocalModelFilesAreTheSameBytesForOneTwoAndThreeThreads() throws {
        let flags = try wideJob(rows: 1_000)
        let models = try (1...3).map { try localModel(flags + ["--threads", "\($0)"]) }
        XCTAssertEqual(models[1], models[0], "--threads 2 against --threads 1")
        XCTAssertEqual(models[2], models[0], "--threads 3 against --threads 1")
    }

    func testWorkersWithThreadsGiveTheLocalResult() throws {
        let flags = try wideJob(rows: 1_000) + ["--shards", "4"]
        let endpoint = try ipcEndpoint()
        let directory = try temporaryDirectory(self)
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--threads", "2", "--verbose", "0", "--run-dir", directory] + flags)
        let workers = try [2, 3].map { threads in
            try dlworker.start(["--connect", endpoint, "--name", "threads-\(threads)", "--threads", "\(threads)"])
        }
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers {
            let outcome = worker.wait(timeout: 30)
            XCTAssertEqual(outcome.status, 0, outcome.errors)
        }
        XCTAssertEqual(try model(in: directory), try localModel(flags + ["--threads", "1"]))
    }

    func testAThreadCountOutsideOneTo256IsRefused() throws {
        for (executable, extra) in [(dlcoord, ["--local"]), (dlworker, ["--connect", "ipc:///nonexistent"])] {
            for threads in ["0", "257"] {
                let result = try executable.run(extra + ["--threads", threads])
                XCTAssertEqual(result.status, 64, executable.name)
                XCTAssertTrue(result.errors.contains("--threads must be from 1 to 256"), "\(executable.name): \(result.errors)")
            }
            // The help's lines are wrapped: its words are compared.
            let help = try executable.run(["--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(help.contains("--threads <n>"), "\(executable.name) --help lacks --threads")
            XCTAssertTrue(help.contains("(default: the CPUs this process may run on, "), help)
        }
    }
}
