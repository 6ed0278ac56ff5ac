// The data files users bring, through the real executables started from a directory other than
// the checkout: a UTF-8 byte-order mark (Excel's "CSV UTF-8", in the data and in a job file), gzip-compressed files (alone, with a
// mark, with CR LF line ends), read by --local, by a coordinator streaming them to workers and by a
// resume, and by dlmodel: the same model file, byte for byte, as the plain file gives. A .gz
// changed after a run is refused on resume; a cut-short or empty one is a located error.
// --read-chunk, honoured by --local and by --audit's copy of the rows, changes no weight.

import DLTestSupport
import Foundation
import XCTest

final class DataFilesTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")

    /// Trains in `directory` and returns the model file's bytes.
    private func train(_ arguments: [String], in directory: String, run: String) throws -> Data {
        let result = try dlcoord.run(arguments + ["--verbose", "0", "--run-dir", run], in: directory)
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.errors)")
        return try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
    }

    func testAByteOrderMarkIsReadAsIfItWereNotThere() throws {
        let directory = try temporaryDirectory(self)
        let text = try Data(contentsOf: URL(fileURLWithPath: Repository.dataset("breast_cancer.csv")))
        let plain = directory + "/plain.csv", marked = directory + "/excel.csv"
        try text.write(to: URL(fileURLWithPath: plain))
        try (Data([0xEF, 0xBB, 0xBF]) + text).write(to: URL(fileURLWithPath: marked))
        // The first header name is the one --features names.
        let flags = ["--local", "--label-column", "diagnosis", "--features", "mean_radius,mean_texture", "--epochs", "3"]
        let expected = try train(flags + ["--data", plain], in: directory, run: directory + "/plain")
        XCTAssertEqual(try train(flags + ["--data", marked], in: directory, run: directory + "/marked"), expected)
        // A job file saved with a mark too.
        let job = directory + "/job.json"
        try (Data([0xEF, 0xBB, 0xBF]) + Data(#"{"data": "excel.csv", "label_column": "diagnosis", "epochs": 3}"#.utf8))
            .write(to: URL(fileURLWithPath: job))
        XCTAssertEqual(
            try train(["--local", "--config", job, "--features", "mean_radius,mean_texture"], in: directory, run: directory + "/job"),
            expected)

        // dlmodel reads the very file the model was trained on.
        let predictions = try dlmodel.run(["predict", directory + "/marked", "--data", marked], in: directory)
        XCTAssertEqual(predictions.status, 0, predictions.errors)
        XCTAssertEqual(predictions.output, try dlmodel.run(["predict", directory + "/plain", "--data", plain], in: directory).output)
        let evaluated = try dlmodel.run(["evaluate", directory + "/marked", "--data", marked, "--json"], in: directory)
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
    }

    func testAGzipFileTrainsLikeItsTextLocallyDistributedAndResumed() throws {
        let directory = try temporaryDirectory(self)
        let text = try String(contentsOfFile: Repository.dataset("ThoraricSurgery.csv"), encoding: .utf8)
        let plain = directory + "/seed.csv", compressed = directory + "/seed.csv.gz"
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        try Gzip.write(text, to: compressed)
        // Excel's mark and CR LF line ends, compressed, under a name that does not say gzip.
        let excel = directory + "/excel.csv"
        try Data(try Gzip.compress([0xEF, 0xBB, 0xBF] + Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
            .write(to: URL(fileURLWithPath: excel))
        let flags = ["--shards", "2", "--validation-split", "0.2", "--standardize"]
        let expected = try train(["--local", "--data", plain, "--epochs", "4"] + flags, in: directory, run: directory + "/plain")
        for (index, data) in [compressed, excel].enumerated() {
            XCTAssertEqual(
                try train(
                    ["--local", "--data", data, "--epochs", "4", "--read-chunk", "333"] + flags, in: directory,
                    run: directory + "/local-\(index)"),
                expected, data)
        }
        // Two epochs in one process, then resumed on two workers: the coordinator describes the file,
        // checks it against the checkpoint's fingerprint and streams its rows in small chunks.
        let run = directory + "/resumed"
        _ = try train(["--local", "--data", compressed, "--epochs", "2"] + flags, in: directory, run: run)
        let resumed = try dlcoord.run(
            ["--workers", "2", "--spawn", "--resume", run, "--epochs", "4", "--read-chunk", "500", "--verbose", "0"], in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")), expected)

        let predicted = try dlmodel.run(["predict", run, "--data", compressed], in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        XCTAssertEqual(predicted.output, try dlmodel.run(["predict", run, "--data", plain], in: directory).output)
        let cut = directory + "/cut.csv.gz"
        try Data(try Gzip.compress(Array(text.utf8)).dropLast(100)).write(to: URL(fileURLWithPath: cut))
        let refused = try dlmodel.run(["evaluate", run, "--data", cut], in: directory)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.hasPrefix("dlmodel: error: \(cut):"), refused.errors)
        XCTAssertTrue(refused.errors.contains("the file was cut short"), refused.errors)

        // The fingerprint is the stored file's: the same text compressed otherwise is another file.
        try Data(try Gzip.compress(Array(text.utf8), level: 1)).write(to: URL(fileURLWithPath: compressed))
        let changed = try dlcoord.run(["--local", "--resume", run, "--epochs", "5", "--verbose", "0"], in: directory)
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.errors.contains("the data file \(compressed) is not the one the checkpoint was trained on"), changed.errors)
    }

    func testACutShortOrEmptyGzipFileIsALocatedError() throws {
        let directory = try temporaryDirectory(self)
        let text = try String(contentsOfFile: Repository.dataset("ThoraricSurgery.csv"), encoding: .utf8)
        let bytes = try Gzip.compress(Array(text.utf8))
        let cut = directory + "/cut.csv.gz", empty = directory + "/empty.csv.gz"
        try Data(bytes.prefix(bytes.count * 2 / 3)).write(to: URL(fileURLWithPath: cut))
        try Data(try Gzip.compress([])).write(to: URL(fileURLWithPath: empty))
        for mode in [["--local"], ["--workers", "2", "--spawn"]] {
            let result = try dlcoord.run(mode + ["--data", cut, "--run-dir", directory + "/run"], in: directory)
            XCTAssertEqual(result.status, 1, result.errors)
            XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: \(cut):"), result.errors)
            XCTAssertTrue(result.errors.contains(": the compressed data ends early: the file was cut short"), result.errors)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run/model.safetensors"))
        }
        let emptyRun = try dlcoord.run(["--local", "--data", empty, "--run-dir", directory + "/run"], in: directory)
        XCTAssertEqual(emptyRun.errors, "dlcoord: error: \(empty): no data rows (the file is empty or holds only a header)\n")
    }

    func testReadChunkChangesNoWeight() throws {
        let directory = try temporaryDirectory(self)
        let data = Repository.dataset("ThoraricSurgery.csv")
        let flags = ["--data", data, "--epochs", "3", "--shards", "2"]
        let expected = try train(["--local"] + flags, in: directory, run: directory + "/default")
        for chunk in ["1", "64", "100000"] {
            XCTAssertEqual(try train(["--local", "--read-chunk", chunk] + flags, in: directory, run: directory + "/local-\(chunk)"), expected)
        }
        // --audit: the coordinator holds a copy of the rows, read in chunks too.
        XCTAssertEqual(
            try train(["--workers", "2", "--spawn", "--audit", "1", "--read-chunk", "64"] + flags, in: directory, run: directory + "/audit"),
            expected)
    }
}
