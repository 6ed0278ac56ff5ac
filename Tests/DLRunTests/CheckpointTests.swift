// Checkpoints: the file keeps every bit of the run's state, the Python `safetensors` package opens
// it, a damaged one is recognized by its checksum, exactly the newest are kept, and a run resumed from
// any of them (at an epoch boundary or mid-epoch) ends exactly as the run that was never stopped.

import DLCore
import DLData
@testable import DLRun
import DLTraining
import Foundation
import DLTestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    private func job(epochs: Int = 4, shards: Int = 3) throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.epochs = epochs
        settings.shards = shards
        settings.metrics = ["accuracy", "auc"]
        return try TrainingJob(settings)
    }

    func testRoundTripKeepsTheWholeState() throws {
        let job = try job()
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let checkpoint = Checkpoint(job: job, progress: trainer.progress)
        let path = try temporaryDirectory(self) + "/c.safetensors"
        try checkpoint.write(to: path)
        let read = try Checkpoint.read(path: path)
        XCTAssertEqual(read, checkpoint)
        XCTAssertEqual(read.parameters.map(\.bitPattern), trainer.parameters.map(\.bitPattern))
        XCTAssertEqual(read.optimizer.state.map(\.bitPattern), trainer.progress.optimizer.state.map(\.bitPattern))
        XCTAssertEqual(read.optimizer.iterations, 4 * job.schedule.stepsPerEpoch)
        XCTAssertEqual(read.history, trainer.progress.history)
        XCTAssertEqual(read.data, job.data.fingerprint)
        XCTAssertEqual(read.settings.shards, 3)
    }

    /// A checkpointer encodes each epoch report once and reuses it; the file is the same bytes as
    /// one encoded from scratch, also when the history it was given before is not a prefix.
    func testReusedHistoryEncodingGivesTheSameBytes() throws {
        let job = try job(epochs: 3)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let history = HistoryJSON()
        var checkpoint = Checkpoint(job: job, progress: trainer.progress)
        XCTAssertEqual(history.json(checkpoint.history), ModelFile.json(checkpoint.history))
        XCTAssertEqual(checkpoint.encoded(history: history), checkpoint.encoded())
        checkpoint.history.removeLast()
        XCTAssertEqual(checkpoint.encoded(history: history), checkpoint.encoded())
        checkpoint.history[0] = checkpoint.history[1]
        XCTAssertEqual(history.json(checkpoint.history), ModelFile.json(checkpoint.history))
    }

    func testDamageIsDetected() throws {
        let job = try job(epochs: 1)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let bytes = Checkpoint(job: job, progress: trainer.progress).encoded()
        func reason(_ bytes: [UInt8]) -> String {
            do { _ = try Checkpoint(decoding: bytes, path: "c"); return "accepted" } catch { return "\(error)" }
        }
        var flipped = bytes
        flipped[bytes.count - 10] ^= 1
        XCTAssertTrue(reason(flipped).contains("its checksum does not match its content"), reason(flipped))
        XCTAssertTrue(reason(Array(bytes.prefix(bytes.count / 2))).hasPrefix("c: not a usable checkpoint"))
        XCTAssertTrue(reason(Array(bytes.prefix(4))).hasPrefix("c: not a usable checkpoint"))
        XCTAssertEqual(reason(bytes), "accepted")
    }

    func testPythonSafetensorsOpensIt() throws {
        let job = try job(epochs: 1)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let path = try temporaryDirectory(self) + "/c.safetensors"
        try Checkpoint(job: job, progress: trainer.progress).write(to: path)
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                meta = f.metadata()
            print(json.dumps({"names": sorted(tensors), "iterations": json.loads(meta["optimizer"])["iterations"],
                              "kernel": list(tensors["dense/kernel"].shape), "checksum": meta["checksum"][:7]}))
            """
        let output = try Python.run(script, arguments: [path])
        let decoded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        XCTAssertEqual(decoded["names"] as? [String], [
            "dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel",
            "optimizer/momentum/dense/bias", "optimizer/momentum/dense/kernel",
            "optimizer/momentum/dense_1/bias", "optimizer/momentum/dense_1/kernel",
            "optimizer/velocity/dense/bias", "optimizer/velocity/dense/kernel",
            "optimizer/velocity/dense_1/bias", "optimizer/velocity/dense_1/kernel",
        ])
        XCTAssertEqual(decoded["iterations"] as? Int, job.schedule.stepsPerEpoch)
        XCTAssertEqual(decoded["kernel"] as? [Int], [30, 16])
        XCTAssertEqual(decoded["checksum"] as? String, "sha256:")
    }

    /// Rotation: after each checkpoint written, exactly the newest `keep` remain, newest by steps
    /// applied (10 after 9: the names are zero-padded, so they sort in run order).
    func testRotationKeepsExactlyTheNewest() throws {
        let job = try job()
        let runners = ShardRunner.allShards(of: job)
        for keep in [1, 2, 3] {
            let directory = try temporaryDirectory(self)
            let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(keep: keep))
            var progress = TrainingProgress(job: job)
            var saved: [Int] = []
            for applied in [1, 2, 9, 10, 11] {
                try advance(&progress, by: applied - (saved.last ?? 0), job: job, runners: runners)
                try checkpointer.save(progress)
                saved.append(applied)
                let newest = saved.suffix(keep).reversed().map { directory + "/" + Checkpointer.fileName(appliedSteps: $0) }
                XCTAssertEqual(Checkpointer.paths(in: directory), newest, "keep \(keep), after the checkpoint at step \(applied)")
            }
            if keep == 2 {
                let kept = Checkpointer.paths(in: directory)
                XCTAssertEqual(kept.map { ($0 as NSString).lastPathComponent },
                               ["checkpoint-0000000011.safetensors", "checkpoint-0000000010.safetensors"])
                XCTAssertEqual(try kept.map { try Checkpoint.read(path: $0).optimizer.iterations }, [11, 10])
            }
        }
    }

    /// A trainer's checkpoints rotate too: with `keep` 1 only the last one is left. (With more kept,
    /// which earlier ones exist depends on the disk's speed: a checkpoint taken while the previous
    /// one is still being written replaces it unwritten. The rotation itself is checked above.)
    func testATrainerLeavesOnlyItsLastCheckpointWhenKeepingOne() throws {
        let job = try job(epochs: 5)
        let directory = try temporaryDirectory(self)
        let trainer = LocalTrainer(job: job)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(keep: 1))
        try trainer.train(checkpointer: checkpointer)
        try checkpointer.finish()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory),
                       [Checkpointer.fileName(appliedSteps: 5 * job.schedule.stepsPerEpoch)])
    }

    /// What --checkpoint-every promises under a disk slower than the epochs: a checkpoint taken while
    /// the one before is being written waits, a newer one replaces it unwritten, and the newest is
    /// written next; the last epoch's is on disk when the run finishes. The first write is held (its
    /// `written` callback waits) while epochs 2 to 4 end, as a slow disk would.
    func testUnderASlowDiskTheNewestCheckpointIsWrittenAndTheLastAlways() throws {
        let job = try job(epochs: 4)
        final class Epochs: CheckpointSink {
            var ended: [TrainingProgress] = []
            func stepApplied(_ progress: TrainingProgress) {}
            func epochFinished(_ progress: TrainingProgress) { ended.append(progress) }
            func save(_ progress: TrainingProgress) -> String { "" }
        }
        let epochs = Epochs()
        try LocalTrainer(job: job).train(checkpointer: epochs)
        XCTAssertEqual(epochs.ended.count, 4)

        let directory = try temporaryDirectory(self)
        let firstWritten = DispatchSemaphore(value: 0), diskFree = DispatchSemaphore(value: 0)
        let held = NSLock()
        nonisolated(unsafe) var holding = true
        nonisolated(unsafe) var written: [String] = []
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(keep: 10)) { path in
            let first = held.withLock {
                written.append((path as NSString).lastPathComponent)
                defer { holding = false }
                return holding
            }
            if first {
                firstWritten.signal()
                diskFree.wait()
            }
        }
        try checkpointer.epochFinished(epochs.ended[0])
        XCTAssertEqual(firstWritten.wait(timeout: .now() + 30), .success)
        for progress in epochs.ended[1...] { try checkpointer.epochFinished(progress) }
        diskFree.signal()
        try checkpointer.finish()
        let steps = job.schedule.stepsPerEpoch
        let names = [1, 4].map { Checkpointer.fileName(appliedSteps: $0 * steps) }
        XCTAssertEqual(held.withLock { written }, names, "epochs 2 and 3 were replaced while they waited; 4, the newest and last, was written")
        XCTAssertEqual(Checkpointer.paths(in: directory).map { ($0 as NSString).lastPathComponent }, names.reversed())
    }

    /// A process at its limit of threads gets no writing thread: every checkpoint is then written
    /// by the caller, and `finish` returns (it waited for ever on a thread that never started).
    func testWithoutAWritingThreadCheckpointsAreWrittenInPlace() throws {
        let job = try job(epochs: 3)
        let directory = try temporaryDirectory(self)
        nonisolated(unsafe) var refusedThreads = 0
        let checkpointer = Checkpointer(
            job: job, directory: directory, policy: CheckpointPolicy(keep: 10),
            startThread: { _ in
                refusedThreads += 1
                return false
            })
        try LocalTrainer(job: job).train(checkpointer: checkpointer)
        try checkpointer.finish()
        XCTAssertEqual(refusedThreads, 3, "a thread was asked for each checkpoint")
        let steps = job.schedule.stepsPerEpoch
        XCTAssertEqual(
            Checkpointer.paths(in: directory).map { ($0 as NSString).lastPathComponent },
            [3, 2, 1].map { Checkpointer.fileName(appliedSteps: $0 * steps) })
    }

    /// Stopping at any step boundary (mid-epoch or at an epoch's end) and resuming from a
    /// checkpoint written there gives the uninterrupted weights and reports.
    func testResumingFromAnyStepBoundaryEndsAsTheUninterruptedRun() throws {
        let job = try job(epochs: 3)
        let uninterrupted = LocalTrainer(job: job)
        try uninterrupted.train()

        let directory = try temporaryDirectory(self)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(keep: 1))
        let steps = job.schedule.stepsPerEpoch
        for stop in [1, steps / 2, steps, steps + 7, 2 * steps + steps - 1] {
            // Train to the stop by hand, the way LocalTrainer does, then checkpoint and resume.
            var progress = TrainingProgress(job: job)
            try advance(&progress, by: stop, job: job, runners: ShardRunner.allShards(of: job))
            guard !progress.epochStepsDone else { continue }  // a checkpoint is never taken between steps and report
            let path = try checkpointer.save(progress)
            let checkpoint = try Checkpoint.read(path: path)
            try Resumption.check(job, against: checkpoint, path: path)
            let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
            try resumed.train()
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern), "stop after \(stop)")
            XCTAssertEqual(resumed.progress.history.map(\.values), uninterrupted.progress.history.map(\.values), "stop after \(stop)")
        }
    }

    func testTheCheckpointsATrainerTakesResumeToTheSameEnd() throws {
        let job = try job(epochs: 3)
        let uninterrupted = LocalTrainer(job: job)
        try uninterrupted.train()
        let directory = try temporaryDirectory(self)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(everySteps: 20, keep: 100))
        try LocalTrainer(job: job).train(checkpointer: checkpointer)
        try checkpointer.finish()
        let paths = Checkpointer.paths(in: directory)
        XCTAssertFalse(paths.isEmpty)
        for path in paths {
            let checkpoint = try Checkpoint.read(path: path)
            let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
            try resumed.train()
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern), path)
        }
    }

    func testResumingRefusesAnotherJobOrOtherData() throws {
        let job = try job(epochs: 2)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let checkpoint = Checkpoint(job: job, progress: trainer.progress)

        var requested = checkpoint.settings
        requested.epochs = 10
        XCTAssertEqual(try Resumption.settings(checkpoint: checkpoint.settings, requested: requested).epochs, 10)
        requested.layers = "8:relu,1:sigmoid"
        requested.seed = 9
        XCTAssertThrowsError(try Resumption.settings(checkpoint: checkpoint.settings, requested: requested)) { error in
            XCTAssertEqual("\(error)", "cannot resume: these settings differ from the checkpoint's: "
                + "layers (checkpoint \"16:relu,1:sigmoid\", now \"8:relu,1:sigmoid\"), seed (checkpoint 3, now 9); "
                + "only --epochs (and --data, for a moved file) may change")
        }

        let directory = try temporaryDirectory(self)
        var changed = try String(contentsOfFile: job.settings.data, encoding: .utf8)
        changed = changed.replacingOccurrences(of: "17.99", with: "17.98")
        try changed.write(toFile: directory + "/moved.csv", atomically: true, encoding: .utf8)
        var settings = checkpoint.settings
        settings.data = directory + "/moved.csv"
        XCTAssertThrowsError(try Resumption.check(TrainingJob(settings), against: checkpoint, path: "c")) { error in
            XCTAssertTrue("\(error)".contains("is not the one the checkpoint was trained on (checkpoint: 120384 bytes, sha256 d1c759cb"), "\(error)")
        }
        var fewer = checkpoint.settings
        fewer.epochs = 1
        XCTAssertThrowsError(try Resumption.check(TrainingJob(fewer), against: checkpoint, path: "c")) { error in
            XCTAssertTrue("\(error)".contains("the checkpoint has 2 epochs done; --epochs 1 is fewer"))
        }
    }

    /// Applies `count` more steps to `progress` by hand, as LocalTrainer does: an epoch's report
    /// comes before the next epoch's first step.
    private func advance(_ progress: inout TrainingProgress, by count: Int, job: TrainingJob, runners: [ShardRunner]) throws {
        var gradients = [[Float]](repeating: [Float](repeating: 0, count: job.model.layout.count), count: runners.count)
        var sums = [[Double]](repeating: job.metrics.makeSums(), count: runners.count)
        for _ in 0..<count {
            if progress.epochStepsDone {
                let validation = ShardRunner.validationSums(runners, parameters: progress.parameters, metrics: job.metrics)
                _ = progress.finishEpoch(validationSums: validation, seconds: 0)
            }
            let (epoch, step) = (progress.position.epoch, progress.position.step)
            ShardRunner.computeStep(
                runners, epoch: epoch, step: step, parameters: progress.parameters, gradients: &gradients, sums: &sums)
            try progress.applyStep(shardGradients: gradients, shardSums: sums, batchSize: job.schedule.batchSize(ofStep: step))
        }
    }
}
