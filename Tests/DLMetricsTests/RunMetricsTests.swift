// RunMetrics as Prometheus would read it: a run's progress, its workers and traffic, and its
// checkpoints, in the text format, with the values the run reported.

import DLCoordinator
import DLMetrics
import DLProtocol
import DLTestSupport
import DLTraining
import XCTest

final class RunMetricsTests: XCTestCase {
    private func text(_ metrics: RunMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    /// The value of the sample written exactly as `sample` (name and labels), or nil.
    private func value(of sample: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    func testATrainedRunIsReportedWithItsLastEpoch() throws {
        let job = try TrainingJob.seedJob(shards: 2, epochs: 2)
        let metrics = RunMetrics()
        XCTAssertEqual(value(of: #"dltrain_run_state{state="starting"}"#, in: text(metrics)), 1)
        metrics.runStarted(job, at: TrainingProgress(job: job).position)
        let reports = try LocalTrainer(job: job).train(observers: [metrics])
        let exposition = text(metrics)
        XCTAssertEqual(value(of: #"dltrain_run_state{state="training"}"#, in: exposition), 1)
        XCTAssertEqual(value(of: #"dltrain_run_state{state="starting"}"#, in: exposition), 0)
        XCTAssertEqual(value(of: "dltrain_epochs", in: exposition), 2)
        XCTAssertEqual(value(of: "dltrain_epoch", in: exposition), 2)
        XCTAssertEqual(value(of: "dltrain_steps_per_epoch", in: exposition), Double(job.schedule.stepsPerEpoch))
        XCTAssertEqual(value(of: "dltrain_step", in: exposition), Double(job.schedule.stepsPerEpoch))
        let last = try XCTUnwrap(reports.last)
        for named in last.values {
            XCTAssertEqual(value(of: #"dltrain_epoch_metric{name="\#(named.name)"}"#, in: exposition), named.value, named.name)
        }
        XCTAssertEqual(value(of: "dltrain_samples_per_second", in: exposition)!, Double(job.data.trainingCount) / last.seconds,
            accuracy: 1e-6 * Double(job.data.trainingCount) / last.seconds)
        XCTAssertTrue(exposition.contains("# HELP dltrain_epoch_metric "), exposition)
        metrics.set(.finished)
        XCTAssertEqual(value(of: #"dltrain_run_state{state="finished"}"#, in: text(metrics)), 1)
    }

    func testWorkersTrafficAndCheckpointsAreCounted() {
        let metrics = RunMetrics()
        let worker = { (index: Int, name: String) in
            WorkerRecord(index: index, info: WorkerInfo(name: name, host: "h", pid: 1, version: "0", peerEndpoint: "tcp://h:1"))
        }
        metrics.observe(.workerJoined(worker(0, "w1"), expected: 2))
        metrics.observe(.workerJoined(worker(1, "w2"), expected: 2))
        metrics.observe(.workerJoined(worker(2, "w3"), expected: nil))
        metrics.observe(.workerJoined(worker(3, "w4"), expected: nil))
        metrics.tick(sentBytes: 1000, receivedBytes: 3000, workerStepTimes: [("w1", 1.5), ("w2", 2), ("w3", 0.5), ("w4", 1)])
        metrics.observe(.workerLost(worker(1, "w2"), reason: "killed"))
        metrics.observe(.workerExcluded(worker(3, "w4"), .wrongLength(.stepDone, shard: 3)))  // lost too, for good
        metrics.tick(sentBytes: 24, receivedBytes: 0, workerStepTimes: [("w1", 1.5), ("w3", 0.5)])
        XCTAssertEqual(value(of: "dltrain_checkpoints_written_total", in: text(metrics)), 0)
        metrics.checkpointWritten()
        metrics.checkpointWritten()
        let exposition = text(metrics)
        XCTAssertEqual(value(of: "dltrain_workers", in: exposition), 2)
        XCTAssertEqual(value(of: "dltrain_workers_registered_total", in: exposition), 4)
        XCTAssertEqual(value(of: "dltrain_workers_joined_total", in: exposition), 2)
        XCTAssertEqual(value(of: "dltrain_workers_lost_total", in: exposition), 2)
        XCTAssertEqual(value(of: "dltrain_bytes_sent_total", in: exposition), 1024)
        XCTAssertEqual(value(of: "dltrain_bytes_received_total", in: exposition), 3000)
        XCTAssertEqual(value(of: #"dltrain_worker_step_seconds{worker="w1"}"#, in: exposition), 0.0015)
        XCTAssertEqual(value(of: #"dltrain_worker_step_seconds{worker="w2"}"#, in: exposition), 0, "a lost worker computes nothing")
        XCTAssertEqual(value(of: #"dltrain_worker_step_seconds{worker="w4"}"#, in: exposition), 0, "nor an excluded one")
        XCTAssertEqual(value(of: "dltrain_checkpoints_written_total", in: exposition), 2)
        let age = value(of: "dltrain_last_checkpoint_age_seconds", in: exposition)
        XCTAssertTrue(age.map { $0 >= 0 && $0 < 60 } ?? false, "\(String(describing: age))")
        XCTAssertTrue((value(of: "dltrain_last_checkpoint_timestamp_seconds", in: exposition) ?? 0) > 1.7e9)
    }
}
