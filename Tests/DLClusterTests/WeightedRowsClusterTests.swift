// Class and sample weights on workers: the coordinator resolves the class weights (reading the
// training rows' classes from the file, since it holds no rows) and sends them in the welcome; a
// sample weight column travels as the last target value of each streamed row. Either way, the
// weights are the single-process trainer's for the same S, bit for bit, however many workers.

import DLCoordinator
import DLCore
import DLProtocol
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class WeightedRowsClusterTests: XCTestCase {
    /// `chunkSize` bytes of the file at a time: 97 splits the rows over many chunks.
    private func assertWorkersTrainTheLocalWeights(_ settings: JobSettings, chunkSize: Int = 4096, line: UInt = #line) throws {
        let trainer = LocalTrainer(job: try TrainingJob(settings))
        try trainer.train()
        let expected = trainer.parameters.map(\.bitPattern)
        for workers in [1, 2] {
            let job = try TrainingJob(settings, loadsRows: false, chunkSize: chunkSize)
            let harness = ClusterHarness(job: job, workerCount: workers, policy: .init(rowChunkSize: chunkSize))
            for _ in 0..<workers { harness.addWorker() }
            harness.traffic = []
            harness.runToCompletion()
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog, line: line)
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected, "\(workers) workers", line: line)
            let welcomes = try XCTUnwrap(harness.traffic).compactMap { if case let .welcome(job) = $0.message { job } else { nil } }
            XCTAssertEqual(welcomes.count, workers, line: line)
            for welcome in welcomes {
                XCTAssertEqual(welcome.classWeights, job.classWeights?.weights, line: line)
                XCTAssertEqual(welcome.sampleWeighted, settings.fit.sampleWeightColumn != nil, line: line)
            }
        }
    }

    func testBalancedClassWeights() throws {
        var settings = JobSettings.breastCancerJob
        settings.shards = 3
        settings.epochs = 2
        settings.fit.classWeight = "balanced"
        try assertWorkersTrainTheLocalWeights(settings, chunkSize: 997)
    }

    func testASampleWeightColumn() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("weighted-cluster-\(getpid()).csv").path
        var csv = "a,b,c,label,weight\n"
        for row in 0..<90 {
            let a = Double(row % 9) / 9 - 0.5, b = Double((row * 7) % 13) / 13 - 0.5, c = Double(row % 4) / 4
            csv += "\(a),\(b),\(c),\(a - b > 0 ? 1 : 0),\(["0.25", "2", "1", "0"][row % 4])\n"
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        var settings = JobSettings()
        settings.data = path
        settings.labelColumn = ["label"]
        settings.layers = "5:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.shards = 3
        settings.epochs = 2
        settings.validationSplit = 0.2
        settings.standardize = true
        settings.fit.sampleWeightColumn = "weight"
        try assertWorkersTrainTheLocalWeights(settings, chunkSize: 97)
    }
}
