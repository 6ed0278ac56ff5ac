// One run per run directory, with the real executables started from a folder that is not the
// checkout: runs started together get a directory each; a run into another run's directory is
// refused with every old file untouched, byte for byte, and --overwrite replaces it (and a resume
// then continues the new run, not the old); a run that trained nothing leaves nothing in the way;
// a second run is refused while the first holds the directory, naming its process, while dlmodel
// still reads the directory of a run that trains, and writes no output over its input or a run's file.

import DLRun
import DLTestSupport
import Foundation
import XCTest

final class RunDirectoryUseTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")
    let data = Repository.dataset("ThoraricSurgery.csv")

    func testRunsStartedTogetherGetADirectoryEach() throws {
        let folder = try temporaryDirectory(self)
        let runs = try (1...4).map { seed in
            try dlcoord.start(["--local", "--epochs", "1", "--seed", "\(seed)", "--verbose", "0", "--data", data], in: folder)
        }
        for run in runs {
            let result = run.wait(timeout: 60)
            XCTAssertEqual(result.status, 0, result.errors)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/runs")
        XCTAssertEqual(names.count, 4, "\(names)")
        let seeds = try names.map { try ModelFile.read(path: "\(folder)/runs/\($0)/model.safetensors").training.seed }
        XCTAssertEqual(Set(seeds), [1, 2, 3, 4], "each directory holds one run's model")
        for name in names {
            let epochs = try String(contentsOfFile: "\(folder)/runs/\(name)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(epochs.count, 1, name)
        }
    }

    func testARunIntoAnotherRunsDirectoryIsRefusedAndOverwriteReplacesIt() throws {
        let folder = try temporaryDirectory(self)
        let old = try dlcoord.run(
            ["--local", "--epochs", "2", "--save-best", "--monitor", "loss", "--verbose", "0", "--data", data, "--run-dir", "run"], in: folder)
        XCTAssertEqual(old.status, 0, old.errors)
        try Data("the user's own notes\n".utf8).write(to: URL(fileURLWithPath: folder + "/run/notes.txt"))
        let before = try snapshot(folder + "/run")
        XCTAssertNotNil(before["model-best.safetensors"])

        let job = ["--epochs", "3", "--seed", "7", "--data", data]
        let refused = try dlcoord.run(["--local"] + job + ["--run-dir", "run"], in: folder)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.hasPrefix("dlcoord: error: run already holds a run started "), refused.errors)
        XCTAssertTrue(refused.errors.contains("metrics.jsonl with 2 epochs"), refused.errors)
        XCTAssertTrue(refused.errors.contains("--resume run"), refused.errors)
        XCTAssertTrue(refused.errors.contains("--overwrite"), refused.errors)
        XCTAssertEqual(try snapshot(folder + "/run"), before, "refused before a byte changed")
        // --overwrite clears the old run only once the new job passed its checks.
        let broken = try dlcoord.run(
            ["--local", "--epochs", "3", "--data", folder + "/missing.csv", "--run-dir", "run", "--overwrite"], in: folder)
        XCTAssertEqual(broken.status, 1)
        XCTAssertEqual(try snapshot(folder + "/run"), before)

        let replaced = try dlcoord.run(["--local"] + job + ["--run-dir", "run", "--overwrite", "--verbose", "2"], in: folder)
        XCTAssertEqual(replaced.status, 0, replaced.errors)
        XCTAssertTrue(replaced.output.contains("Overwriting run: removed "), replaced.output)
        XCTAssertTrue(replaced.output.contains("kept what dltrain did not write: notes.txt"), replaced.output)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(job))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/run")
        XCTAssertFalse(files.contains("model-best.safetensors"), "the old run's best model went with it")
        XCTAssertEqual(try snapshot(folder + "/run")["notes.txt"], before["notes.txt"])
        XCTAssertEqual(try String(contentsOfFile: folder + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 3)
        // What --resume continues now is the new run.
        let resumed = try dlcoord.run(["--resume", "run", "--local", "--epochs", "4", "--verbose", "0"], in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(["--epochs", "4", "--seed", "7", "--data", data]))
    }

    func testARunThatTrainedNothingLeavesNothingInTheWay() throws {
        let folder = try temporaryDirectory(self)
        let unchecked = try dlcoord.run(["--local", "--data", folder + "/missing.csv"], in: folder)
        XCTAssertEqual(unchecked.status, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [], "no runs/ directory either")

        // A distributed run whose workers never came claimed its directory, and trained nothing.
        let endpoint = try ipcEndpoint()
        let command = ["--workers", "1", "--bind", endpoint, "--epochs", "2", "--data", data, "--run-dir", "run", "--verbose", "0"]
        let lonely = try dlcoord.run(command + ["--wait-timeout", "1"], in: folder)
        XCTAssertEqual(lonely.status, 1)
        XCTAssertTrue(lonely.errors.contains("only 0 of 1 workers registered"), lonely.errors)
        let worker = try Executable(name: "dlworker").start(["--connect", endpoint, "--name", "w1"])
        let again = try dlcoord.run(command + ["--wait-timeout", "30"], in: folder)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertEqual(worker.wait(timeout: 30).status, 0)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(["--epochs", "2", "--data", data]))
    }

    func testASecondRunIsRefusedWhileTheFirstHoldsTheDirectoryAndDlmodelStillReadsIt() throws {
        let folder = try temporaryDirectory(self)
        // A coordinator waiting for a worker holds its directory as long as a training one.
        let first = try dlcoord.start(
            ["--workers", "1", "--bind", try ipcEndpoint(), "--wait-timeout", "60", "--data", data, "--run-dir", "run"], in: folder)
        XCTAssertTrue(first.waitForError(containing: "listening on", timeout: 60), first.errorsSoFar)
        for flags in [["--local"], ["--local", "--overwrite"], ["--local", "--resume", "auto"]] {
            let second = try dlcoord.run(flags + ["--epochs", "1", "--data", data, "--run-dir", "run"], in: folder)
            XCTAssertEqual(second.status, 1, "\(flags)")
            XCTAssertTrue(second.errors.hasPrefix("dlcoord: error: run is in use by another run: pid \(first.pid) on "), second.errors)
            XCTAssertTrue(second.errors.contains(" --workers 1 --bind "), second.errors)
        }
        first.signal(SIGINT)
        let stopped = first.wait(timeout: 30)
        XCTAssertEqual(stopped.status, 1)
        XCTAssertTrue(stopped.errors.contains("Nothing was trained yet; to start the run again, run:"), stopped.errors)

        // A run that trains holds the lock; dlmodel, which takes none, reads what it has written so far.
        let training = try dlcoord.start(
            ["--local", "--epochs", "100000", "--save-best", "--monitor", "loss", "--verbose", "2", "--data", data, "--run-dir", "run"],
            in: folder)
        XCTAssertTrue(training.waitForOutput(containing: "Epoch 3/", timeout: 60), training.errorsSoFar)
        let plotted = try dlmodel.run(["plot", "run", "--output", "now.svg"], in: folder)
        XCTAssertEqual(plotted.status, 0, plotted.errors)
        // (Not a checkpoint: the newest replaces the oldest under --keep while the run goes on.)
        let summary = try dlmodel.run(["summary", "run/model-best.safetensors"], in: folder)
        XCTAssertEqual(summary.status, 0, summary.errors)
        training.signal(SIGTERM)
        let interrupted = training.wait(timeout: 30)
        XCTAssertEqual(interrupted.status, 1)
        XCTAssertTrue(interrupted.errors.contains("the run stopped: it was interrupted (SIGTERM); checkpoint run/checkpoint-"), interrupted.errors)
    }

    /// dlmodel replaces an output file it is told to write, but never the CSV it reads or a run's file.
    func testDlmodelWritesNoOutputOverItsInputOrARunsFiles() throws {
        let folder = try temporaryDirectory(self)
        let trained = try dlcoord.run(["--local", "--epochs", "1", "--verbose", "0", "--data", data, "--run-dir", "run"], in: folder)
        XCTAssertEqual(trained.status, 0, trained.errors)
        try FileManager.default.copyItem(atPath: data, toPath: folder + "/rows.csv")
        let rows = try Data(contentsOf: URL(fileURLWithPath: folder + "/rows.csv"))
        let run = try snapshot(folder + "/run")
        for (arguments, message) in [
            (["predict", "run", "--data", "rows.csv", "--output", "rows.csv"], "cannot write rows.csv: it is rows.csv, which this command reads"),
            (["predict", "run", "--data", "rows.csv", "--output", "run/metrics.jsonl"], "cannot write run/metrics.jsonl: it is a file of the run in run"),
            (["export", "run", "--format", "onnx", "--output", "run/model.safetensors"], "it is a file of the run in run"),
            (["plot", "run", "--output", "run/curves.svg"], "it is a file of the run in run"),
        ] {
            let refused = try dlmodel.run(arguments, in: folder)
            XCTAssertEqual(refused.status, 1, "\(arguments)")
            XCTAssertTrue(refused.errors.hasPrefix("dlmodel: error: "), refused.errors)
            XCTAssertTrue(refused.errors.contains(message), refused.errors)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/rows.csv")), rows)
        XCTAssertEqual(try snapshot(folder + "/run"), run)
        try Data("an older file\n".utf8).write(to: URL(fileURLWithPath: folder + "/predictions.csv"))
        let predicted = try dlmodel.run(["predict", "run", "--data", "rows.csv", "--output", "predictions.csv"], in: folder)
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        XCTAssertTrue(try String(contentsOfFile: folder + "/predictions.csv", encoding: .utf8).hasPrefix("probability,predicted\n"))
    }

    /// Every file under `directory` by its relative path, with its bytes.
    private func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: directory))
        while let name = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
            files[name] = isDirectory.boolValue ? Data() : try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }
}
