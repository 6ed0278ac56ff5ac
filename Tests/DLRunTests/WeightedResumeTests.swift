// Runs weighted by class weights or by a sample weight column resume to the uninterrupted run's
// weights and reports, bit for bit, from every checkpoint: the resumed job is built again from its
// settings, as `--resume` builds it, so the class weights are counted again from the file.

import DLCore
import DLData
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class WeightedResumeTests: XCTestCase {
    private func assertEveryCheckpointResumesToTheSameEnd(_ settings: JobSettings, every steps: Int, line: UInt = #line) throws {
        let job = try TrainingJob(settings)
        let uninterrupted = LocalTrainer(job: job)
        try uninterrupted.train()
        let directory = try temporaryDirectory(self)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(everySteps: steps, keep: 100))
        try LocalTrainer(job: job).train(checkpointer: checkpointer)
        try checkpointer.finish()
        let paths = Checkpointer.paths(in: directory)
        XCTAssertFalse(paths.isEmpty, line: line)  // as many as the writing thread took up
        for path in paths {
            let again = try TrainingJob(settings)
            let checkpoint = try Checkpoint.read(path: path)
            try Resumption.check(again, against: checkpoint, path: path)
            let resumed = LocalTrainer(job: again, progress: checkpoint.progress(for: again))
            try resumed.train()
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), uninterrupted.parameters.map(\.bitPattern), path, line: line)
            XCTAssertEqual(resumed.progress.history.map(\.values), uninterrupted.progress.history.map(\.values), path, line: line)
        }
    }

    func testBalancedClassWeights() throws {
        var settings = JobSettings.seedJob
        settings.epochs = 2
        settings.shards = 2
        settings.validationSplit = 0.2
        settings.fit.classWeight = "balanced"
        try assertEveryCheckpointResumesToTheSameEnd(settings, every: 13)
    }

    func testASampleWeightColumn() throws {
        var text = "a,b,y,w\n"
        for row in 0..<64 {
            let a = Double(row % 5) / 5 - 0.4, b = Double((row * 3) % 8) / 8 - 0.5
            text += "\(a),\(b),\(a + b > 0 ? 1 : 0),\(["1.5", "0.5", "0", "2"][row % 4])\n"
        }
        let path = try temporaryDirectory(self) + "/weighted.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var settings = JobSettings()
        settings.data = path
        settings.labelColumn = ["y"]
        settings.layers = "4:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.batchSize = 8
        settings.epochs = 3
        settings.shards = 2
        settings.validationSplit = 0.25
        settings.fit.sampleWeightColumn = "w"
        try assertEveryCheckpointResumesToTheSameEnd(settings, every: 2)
    }
}
