// The thread count changes nothing: a synthetic job wide enough to split (64 -> 128 relu -> 128
// relu -> 1 sigmoid, batch 256) trained in one process with 1, 2 and 3 threads ends with the same parameter
// bits, with one shard (its products split over the threads) and with four (the shards computed
// side by side). The pools' counts show the work really was split.

import DLCore
import DLTestSupport
import DLTraining
import XCTest

final class ThreadCountTests: XCTestCase {
    func testParametersAreTheSameBitsForOneTwoAndThreeThreads() throws {
        let data = try temporaryDirectory(self) + "/synthetic.csv"
        try SyntheticData.write(rows: 1_000, features: 64, to: data)
        var settings = JobSettings.wideSynthetic(data: data)
        for shards in [1, 4] {
            settings.shards = shards
            let job = try TrainingJob(settings)
            var parameters: [[UInt32]] = []
            var losses: [Double?] = []
            for threads in 1...3 {
                let pool = ComputePool(threads: threads)
                let trainer = LocalTrainer(job: job, pool: pool)
                let reports = try trainer.train()
                parameters.append(trainer.parameters.map(\.bitPattern))
                losses.append(reports.last?.value("loss"))
                XCTAssertEqual(pool.parallelRuns > 0, threads > 1, "\(shards) shard(s), \(threads) threads")
            }
            XCTAssertEqual(parameters[1], parameters[0], "\(shards) shard(s): 2 threads against 1")
            XCTAssertEqual(parameters[2], parameters[0], "\(shards) shard(s): 3 threads against 1")
            XCTAssertEqual(losses[1], losses[0])
            XCTAssertEqual(losses[2], losses[0])
            // The run trained: the weights moved from where they started.
            XCTAssertNotEqual(parameters[0], TrainingProgress(job: job).parameters.map(\.bitPattern))
        }
    }
}
