// Model files and checkpoints edited by hand, each one of the fuzz corpus's inputs (Tests/Fuzz:
// crashes/ for those that once trapped, corpus/ for those once accepted and used wrongly): what
// dlmodel and dlcoord --resume do with each is refused with the file's typed error. The edits,
// of the seed files trained on Tests/Fuzz/data/rows.csv (corpus/*/rows-*):
// - a standardization of 17 means and 1 scale (a trap on the scale's index when predicting);
// - a kernel of 20,000 x 2^50 (a trap on the parameter count's overflow);
// - kernels of 30,000 x 30,000 (3.6 GB allocated before the tensors' shapes were compared);
// - three classes for one sigmoid unit, overlapping tensor byte ranges, a scale of 0 (read, then
//   predictions named or computed wrongly);
// - checkpoints (with their checksum computed again, as anyone can) of those dimensions and
//   ranges, at step -5, at a step past the end of its epoch, and without the early-stopping state
//   its job keeps (resumed into a run that differs from the one it stopped);
// - and what fuzzing found since (named in each test).

import DLData
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class HostileFileTests: XCTestCase {
    private func fixture(_ target: String, _ name: String) -> String {
        let crashed = Repository.root + "/Tests/Fuzz/crashes/\(target)/\(name).safetensors"
        return FileManager.default.fileExists(atPath: crashed) ? crashed : Repository.root + "/Tests/Fuzz/corpus/\(target)/\(name).safetensors"
    }

    /// What `dlmodel` does with MODEL, which must fail with an error for `path` of the kind `expected` matches.
    private func assertModelRefused(_ name: String, _ expected: (RunError) -> String?, file: StaticString = #filePath, line: UInt = #line) {
        let path = fixture("model", name)
        XCTAssertThrowsError(try ModelFile.load(from: path), file: file, line: line) { error in
            XCTAssertEqual((error as? RunError).flatMap(expected), path, "\(error)", file: file, line: line)
        }
    }

    private func inconsistentModel(_ error: RunError) -> String? {
        guard case let .inconsistentModelFile(path, _) = error else { return nil }
        return path
    }

    func testStandardizationOf17MeansAndOneScaleIsRefused() {
        assertModelRefused("standardization-17-means-1-scale", inconsistentModel)
    }

    func testAKernelWhoseSizeOverflowsIsRefused() {
        assertModelRefused("dimensions-20000-by-2-to-the-50", inconsistentModel)
    }

    func testKernelsOfGigabytesAgainstSmallTensorsAreRefused() {
        assertModelRefused("dimensions-30000-by-30000", inconsistentModel)
    }

    func testThreeClassesForOneSigmoidUnitAreRefused() {
        assertModelRefused("three-classes-for-one-unit", inconsistentModel)
    }

    func testOverlappingTensorRangesAreRefused() {
        assertModelRefused("overlapping-tensor-ranges") { error in
            guard case let .badModelFile(path, _) = error else { return nil }
            return path
        }
    }

    func testAScaleOfZeroIsRefused() {
        assertModelRefused("scale-of-zero", inconsistentModel)
    }

    /// Found by fuzzing: a softmax over one unit (which training refuses) with two class names,
    /// whose predictions all named one class.
    func testASoftmaxOverOneUnitIsRefused() {
        assertModelRefused("softmax-over-one-unit", inconsistentModel)
    }

    func testTheSeedModelsReadAndPredict() throws {
        for name in ["rows-answer", "rows-kind", "rows-amount", "rows-adagrad"] {
            let model = try ModelFile.load(from: fixture("model", name))
            var lines = 0
            try Predictor(model: model).predict(csv: Repository.root + "/Tests/Fuzz/data/rows.csv") { _ in lines += 1 }
            XCTAssertEqual(lines, 25, name)
        }
    }

    // MARK: Checkpoints

    /// The job `dlcoord --resume` builds for a checkpoint of the seed runs (their data moved, as --data says).
    private func job(of checkpoint: Checkpoint) throws -> TrainingJob {
        var settings = checkpoint.settings
        settings.data = Repository.root + "/Tests/Fuzz/data/rows.csv"
        return try TrainingJob(settings)
    }

    /// Reading the checkpoint `name` (as `dlcoord --resume` and `dlmodel` do), then resuming it.
    private func resume(_ name: String) throws {
        let path = fixture("checkpoint", name)
        let checkpoint = try Checkpoint.read(path: path)
        try Resumption.check(try job(of: checkpoint), against: checkpoint, path: path)
    }

    private func assertCheckpointRefused(_ name: String, badFile: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let expected = fixture("checkpoint", name)
        XCTAssertThrowsError(try resume(name), file: file, line: line) { error in
            switch error as? RunError {
            case let .inconsistentCheckpoint(path, _) where !badFile, let .badCheckpoint(path, _) where badFile:
                XCTAssertEqual(path, expected, file: file, line: line)
            default:
                XCTFail("\(error)", file: file, line: line)
            }
        }
    }

    func testACheckpointWhoseKernelSizeOverflowsIsRefused() {
        assertCheckpointRefused("dimensions-20000-by-2-to-the-50")
    }

    func testACheckpointOfGigabyteKernelsAgainstSmallTensorsIsRefused() {
        assertCheckpointRefused("dimensions-30000-by-30000")
    }

    func testACheckpointWithOverlappingTensorRangesIsRefused() {
        assertCheckpointRefused("overlapping-tensor-ranges", badFile: true)
    }

    func testACheckpointAtStepMinus5IsRefused() {
        assertCheckpointRefused("step-minus-5")
    }

    func testACheckpointPastTheEndOfItsEpochIsRefused() {
        assertCheckpointRefused("step-past-the-epoch")
    }

    func testACheckpointWithoutTheEarlyStoppingStateOfItsJobIsRefused() {
        assertCheckpointRefused("early-stopping-state-removed")
    }

    /// Found by fuzzing: a step of the largest Int overflowed in the message that refused it.
    func testACheckpointAtTheLargestStepIsRefused() {
        assertCheckpointRefused("step-of-the-largest-int")
    }

    /// Found by fuzzing: a learning rate beyond float32's range was finite as a double and
    /// infinite in the optimizer.
    func testACheckpointWithALearningRateBeyondFloat32IsRefused() {
        assertCheckpointRefused("learning-rate-beyond-float32")
    }

    func testTheSeedCheckpointsResume() throws {
        for name in [
            "rows-answer-step-2", "rows-answer-stopped", "rows-kind-step-2", "rows-kind-end", "rows-amount-end", "rows-adagrad-end",
            "rows-answer-plateau",
        ] {
            XCTAssertNoThrow(try resume(name), name)
        }
    }

    /// A checkpoint dltrain writes is whole and unedited; any edit, with the checksum computed
    /// again, is one `sealed` makes, so the checks see every edit the tests above make.
    func testTheChecksumIsComputedAgainByAnyone() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("checkpoint", "step-minus-5"))))
        let stored = Array(Checkpoint.checksumPlaceholder.utf8)
        guard let start = bytes.indices.first(where: { bytes[$0...].starts(with: Array("sha256:".utf8)) }) else { return XCTFail("no checksum") }
        var zeroed = bytes
        zeroed.replaceSubrange(start..<(start + stored.count), with: stored)
        XCTAssertEqual(Checkpoint.sealed(zeroed), bytes)
    }
}
