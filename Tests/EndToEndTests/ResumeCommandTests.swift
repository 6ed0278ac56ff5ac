// The command dlcoord prints when Ctrl-C (or SIGTERM) stops it, run as a user would paste it: through a shell,
// with dlcoord found on PATH, from a folder that is not the checkout. In one process and on workers
// (the secret taken from $DLTRAIN_SECRET_FILE, which the pasting shell no longer has), it resumes
// the run to the model an uninterrupted run writes, byte for byte. And a resume that forgets
// --bind listens where the run listened, so the workers still waiting there rejoin it.

import DLRun
import DLTestSupport
import Foundation
import XCTest

final class ResumeCommandTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")
    let data = Repository.dataset("ThoraricSurgery.csv")

    /// `command` run by /bin/sh in `folder`, with the executables on PATH (as installed).
    private func shell(_ command: String, in folder: String, environment: [String: String] = [:]) throws -> RunningProcess {
        let path = Executable.productsDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try RunningProcess(
            executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", command], directory: folder,
            environment: environment.merging(["PATH": path]) { $1 })
    }

    /// The indented line after "To resume the run, run:".
    private func printedCommand(_ errors: String) throws -> String {
        let lines = errors.split(separator: "\n", omittingEmptySubsequences: false)
        let heading = try XCTUnwrap(lines.firstIndex(of: "To resume the run, run:"), errors)
        let line = lines[heading + 1]
        XCTAssertTrue(line.hasPrefix("    "), String(line))
        return line.trimmingCharacters(in: .whitespaces)
    }

    func testCtrlCInOneProcessPrintsTheCommandThatResumesIt() throws {
        let folder = try temporaryDirectory(self)
        let job = ["--epochs", "100", "--data", data]
        let run = try shell("exec dlcoord --local --verbose 2 --run-dir run " + ResumeCommand.shellLine(job), in: folder)
        XCTAssertTrue(run.waitForOutput(containing: "Epoch 3/", timeout: 60), run.errorsSoFar)
        run.signal(SIGINT)
        let stopped = run.wait(timeout: 30)
        XCTAssertEqual(stopped.status, 1, stopped.errors)
        XCTAssertTrue(stopped.errors.contains("dlcoord: error: the run stopped: it was interrupted (Ctrl-C); checkpoint run/checkpoint-"), stopped.errors)
        let command = try printedCommand(stopped.errors)
        XCTAssertTrue(command.hasPrefix("dlcoord --resume run --local "), command)

        let resumed = try shell(command, in: folder).wait(timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Resuming from run/checkpoint-"), resumed.output)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(job))
        XCTAssertEqual(try String(contentsOfFile: folder + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 100)
    }

    /// SIGTERM (what Kubernetes, Slurm and podman send) stops `--local` as Ctrl-C does: a checkpoint
    /// and the command that resumes from it.
    func testSIGTERMInOneProcessWritesACheckpointAndSaysHowToResume() throws {
        let folder = try temporaryDirectory(self)
        let run = try shell("exec dlcoord --local --verbose 2 --run-dir run --epochs 100 --data \(data)", in: folder)
        XCTAssertTrue(run.waitForOutput(containing: "Epoch 3/", timeout: 60), run.errorsSoFar)
        run.signal(SIGTERM)
        let stopped = run.wait(timeout: 30)
        XCTAssertEqual(stopped.status, 1, stopped.errors)
        XCTAssertTrue(stopped.errors.contains("it was interrupted (SIGTERM); checkpoint run/checkpoint-"), stopped.errors)
        XCTAssertTrue(try printedCommand(stopped.errors).hasPrefix("dlcoord --resume run --local "), stopped.errors)
        XCTAssertFalse(Checkpointer.paths(in: folder + "/run").isEmpty)
    }

    func testCtrlCOnTheCoordinatorPrintsTheCommandThatResumesItOnWorkers() throws {
        let folder = try temporaryDirectory(self)
        let endpoint = try ipcEndpoint(), secret = try secretFile()
        let job = ["--epochs", "60", "--data", data]
        func startWorkers() throws -> [RunningProcess] {
            try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)", "--secret-file", secret]) }
        }
        let workers = try startWorkers()
        let coordinator = try shell(
            "exec dlcoord --workers 2 --bind \(endpoint) --verbose 2 --run-dir run " + ResumeCommand.shellLine(job), in: folder,
            environment: ["DLTRAIN_SECRET_FILE": secret])
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 6/", timeout: 120), coordinator.errorsSoFar)
        coordinator.signal(SIGINT)
        let stopped = coordinator.wait(timeout: 30)
        XCTAssertEqual(stopped.status, 1, stopped.errors)
        XCTAssertTrue(stopped.errors.contains("the run stopped: the coordinator was interrupted (Ctrl-C); checkpoint run/checkpoint-"), stopped.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 3, "told the job stopped") }
        let command = try printedCommand(stopped.errors)
        XCTAssertTrue(command.hasPrefix("dlcoord --resume run --workers 2 --bind \(endpoint) "), command)
        XCTAssertTrue(command.hasSuffix(" --secret-file \(secret)"), command)

        let rejoining = try startWorkers()
        let resumed = try shell(command, in: folder).wait(timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Resuming from run/checkpoint-"), resumed.output)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(["--shards", "2"] + job))
        for worker in rejoining { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    /// The coordinator killed outright (no command printed), its workers waiting on its endpoint: a
    /// resume without --bind listens there again and says so.
    func testAResumeWithoutBindListensWhereTheRunListened() throws {
        let folder = try temporaryDirectory(self)
        let endpoint = try ipcEndpoint()
        let job = ["--epochs", "60", "--data", data]
        let workers = try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)", "--coordinator-timeout", "3"]) }
        let first = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--checkpoint-every-steps", "20", "--verbose", "2", "--run-dir", "run"] + job, in: folder)
        XCTAssertTrue(first.waitForOutput(containing: "Epoch 6/", timeout: 120), first.errorsSoFar)
        // Checkpoints are written by a thread of their own: under load the first may still be on its way.
        let deadline = Date().addingTimeInterval(60)
        while Checkpointer.paths(in: folder + "/run").isEmpty && Date() < deadline { usleep(50_000) }
        first.signal(SIGKILL)
        XCTAssertEqual(first.wait(timeout: 30).status, SIGKILL)

        let resumed = try dlcoord.run(["--resume", "run", "--workers", "2", "--verbose", "0"], in: folder, timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.errors.contains("workers connect at \(endpoint), where the run listened before"), resumed.errors)
        XCTAssertEqual(try model(in: folder + "/run"), try localModel(["--shards", "2"] + job))
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }
}
