// A raw table, with words, gaps and integer codes as people's files have them, trained through the
// real executables: the model depends on the data, settings, seed and S only, so `--workers N`
// (1, 2 and 4), a worker killed mid-run, a resume on workers and a gzip-compressed copy all give
// the model file of `dlcoord --local --shards 4` byte for byte, with the types inferred and with
// every kind of preprocessing given.

import DLTestSupport
import Foundation
import XCTest

final class RawTableTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    /// Rows like the penguins table's: a name with gaps written `NA`, one with empty gaps, an integer
    /// code, two measurements with gaps written `?`, and a class label; deterministic.
    private func rawTable(rows: Int = 240) -> String {
        let islands = ["Biscoe", "Dream", "Torgersen", "Dream", "Biscoe"]
        var text = "island,sex,year,bill_length_mm,body_mass_g,species\n"
        for row in 0..<rows {
            let island = row % 17 == 3 ? "NA" : islands[(row * 7) % islands.count]
            let sex = row % 13 == 5 ? "" : (row % 2 == 0 ? "male" : "female")
            let year = 2007 + row % 3
            let bill = row % 11 == 7 ? "?" : String(format: "%.1f", 32.0 + Double((row * 37) % 230) / 10)
            let mass = row % 19 == 2 ? "NA" : "\(2700 + (row * 53) % 3600)"
            let species = ["Adelie", "Chinstrap", "Gentoo"][(row * 5 + (island == "Biscoe" ? 1 : 0)) % 3]
            text += "\(island),\(sex),\(year),\(bill),\(mass),\(species)\n"
        }
        return text
    }

    private func write(_ text: String, in directory: String, name: String = "raw.csv") throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func train(_ arguments: [String], run: String) throws -> Data {
        let result = try dlcoord.run(arguments + ["--verbose", "0", "--run-dir", run])
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.errors)")
        return try model(in: run)
    }

    func testARawTableTrainsToTheSameBitsOnAnyNumberOfWorkers() throws {
        let directory = try temporaryDirectory(self)
        let data = try write(rawTable(), in: directory)
        let flags = ["--data", data, "--layers", "12:relu,auto", "--loss", "auto", "--epochs", "6", "--batch-size", "16", "--validation-split", "0.2", "--standardize"]
        let expected = try localModel(flags + ["--shards", "4"])
        for workers in [1, 2, 4] {
            XCTAssertEqual(
                try train(flags + ["--workers", "\(workers)", "--spawn", "--shards", "4"], run: directory + "/w\(workers)"),
                expected, "\(workers) worker(s)")
        }
        let compressed = directory + "/raw.csv.gz"
        try Gzip.write(rawTable(), to: compressed)
        XCTAssertEqual(
            try train(
                ["--data", compressed, "--layers", "12:relu,auto", "--loss", "auto", "--epochs", "6", "--batch-size", "16", "--validation-split", "0.2", "--standardize",
                 "--workers", "2", "--spawn", "--shards", "4", "--read-chunk", "1000"], run: directory + "/gz"),
            expected, "the gzip-compressed table, streamed in small chunks")
    }

    func testEveryKindOfPreprocessingTrainsToTheSameBitsOnWorkers() throws {
        let directory = try temporaryDirectory(self)
        let data = try write(rawTable(), in: directory)
        let flags = [
            "--data", data, "--layers", "12:relu,auto", "--loss", "auto", "--epochs", "4", "--batch-size", "16",
            "--feature-types",
            "island=string_categorical:num_oov_indices=2,sex=string_hashed:num_bins=4,year=integer_categorical:output_mode=int,"
                + "bill_length_mm=float_discretized:num_bins=5,body_mass_g=float_rescaled:scale=0.001",
            "--feature-crosses", "island*year:crossing_dim=8", "--fill", "median", "--missing-indicators",
        ]
        let expected = try localModel(flags + ["--shards", "3"])
        XCTAssertEqual(try train(flags + ["--workers", "3", "--spawn", "--shards", "3"], run: directory + "/w3"), expected)
    }

    func testAWorkerKilledAndAResumeChangeNothingOnARawTable() throws {
        let directory = try temporaryDirectory(self)
        let data = try write(rawTable(rows: 400), in: directory)
        let flags = ["--data", data, "--layers", "12:relu,auto", "--loss", "auto", "--epochs", "60", "--batch-size", "8", "--missing-indicators", "--shards", "4"]
        let expected = try localModel(flags)

        let endpoint = try ipcEndpoint(), run = directory + "/killed"
        let workers = try (1...3).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"]) }
        let coordinator = try dlcoord.start(
            ["--workers", "3", "--bind", endpoint, "--worker-timeout", "2", "--verbose", "2", "--run-dir", run] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 6/", timeout: 120), coordinator.errorsSoFar)
        workers[1].signal(SIGKILL)
        let result = coordinator.wait(timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("is lost"), result.errors)
        XCTAssertEqual(try model(in: run), expected)
        for (index, worker) in workers.enumerated() where index != 1 { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }

        // Half the epochs in one process, the rest resumed on two workers.
        let resumed = directory + "/resumed"
        _ = try train(["--local"] + flags.map { $0 == "60" ? "30" : $0 }, run: resumed)
        let result2 = try dlcoord.run(["--workers", "2", "--spawn", "--resume", resumed, "--epochs", "60", "--verbose", "0"])
        XCTAssertEqual(result2.status, 0, result2.errors)
        XCTAssertEqual(try model(in: resumed), expected)
    }
}
