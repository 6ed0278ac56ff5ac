// allocations: heap allocations per training step of the seed job (or of its data under larger
// layers, --layers, split over --threads), after a warm-up epoch (at least 100 steps: each pool
// thread's scratch buffers grow to the largest block it takes), with 1 and with 4 logical shards.
// The design promises none: a BatchEngine allocates its buffers once and a step only gathers rows
// into them. The count comes from bench/malloc_count.c preloaded into this process (LD_PRELOAD),
// which counts every malloc, calloc, realloc, posix_memalign and aligned_alloc; without it the
// result says "not measured".
//
// Two loops are measured: the step itself as every trainer runs it (ShardRunner.computeStep over the
// shards, then TrainingProgress.applyStep), split into those two parts, with epoch ends
// (TrainingProgress.finishEpoch) counted apart; and LocalTrainer.train as dlcoord --local runs it,
// epoch ends included.

import ArgumentParser
import DLCore
import DLTraining
import Foundation

struct Allocations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocations", abstract: "Heap allocations per training step of the seed job (needs bench/malloc_count.so preloaded).")

    @Option(help: "Steps to count over, after a warm-up epoch (at least 100 steps).") var steps: Int = 2000
    @Option(help: "The shard counts to measure, comma-separated.") var shards: String = "1,4"
    @Option(help: "The seed job's CSV file.") var data: String = "dataset/ThoraricSurgery.csv"
    @Option(help: "Threads to compute with (a model large enough is split over them).") var threads: Int = 1
    @Option(help: "Other layers than the seed job's, e.g. 256:relu,256:relu,1:sigmoid.") var layers: String?
    @Option(name: .customLong("batch-size"), help: "Another batch size than the seed job's.") var batchSize: Int?

    func validate() throws {
        guard steps >= 1, threads >= 1 else { throw ValidationError("--steps and --threads must be at least 1") }
        guard !shardCounts.isEmpty, shardCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--shards must list positive shard counts, e.g. 1,4")
        }
    }

    private var shardCounts: [Int] { shards.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        guard let counter = MallocCounter.find() else {
            print("allocations: not measured (bench/malloc_count.so is not preloaded: run with LD_PRELOAD=.build/malloc_count.so)")
            Report.result(["case": "allocations", "measured": false, "reason": "malloc counter not preloaded"])
            return
        }
        var results: [[String: Any]] = []
        let pool = ComputePool(threads: threads)
        for shardCount in shardCounts {
            var settings = JobSettings()
            settings.data = data
            settings.shards = shardCount
            if let layers { settings.layers = layers }
            if let batchSize { settings.batchSize = batchSize }
            let stepLoop = try countStepLoop(settings: settings, pool: pool, counter: counter)
            let trainer = try countLocalTrainer(settings: settings, pool: pool, counter: counter)
            var result = stepLoop
            for (key, value) in trainer { result[key] = value }
            result["shards"] = shardCount
            results.append(result)
            print("\(settings.layers), \(threads) thread(s), \(shardCount) shard(s), \(steps) steps after a warm-up: "
                + "\(format(stepLoop["per_step"])) allocations per step "
                + "(computeStep \(format(stepLoop["compute_per_step"])), applyStep \(format(stepLoop["apply_per_step"]))); "
                + "an epoch's first step \(format(stepLoop["first_step_of_epoch_mean"])), the others \(format(stepLoop["other_steps_mean"])); "
                + "\(format(stepLoop["per_epoch_end"])) per epoch end; "
                + "LocalTrainer.train \(format(trainer["trainer_per_step"])) per step")
        }
        Report.result([
            "case": "allocations", "measured": true, "steps": steps, "threads": pool.threads,
            "split_runs": pool.parallelRuns, "runs": results,
        ])
    }

    private func format(_ value: Any?) -> String {
        guard let value = value as? Double else { return "?" }
        return String(format: "%.2f", value)
    }

    /// computeStep for every shard, then applyStep, as LocalTrainer and the coordinator run them.
    private func countStepLoop(settings: JobSettings, pool: ComputePool, counter: MallocCounter) throws -> [String: Any] {
        let job = try TrainingJob(settings)
        var progress = TrainingProgress(job: job)
        let runners = ShardRunner.allShards(of: job, pool: pool)
        var gradients = Array(repeating: [Float](repeating: 0, count: job.model.layout.count), count: runners.count)
        var sums = Array(repeating: job.metrics.makeSums(), count: runners.count)
        let stepsPerEpoch = job.schedule.stepsPerEpoch

        var compute: UInt64 = 0, apply: UInt64 = 0, epochEnds: UInt64 = 0, epochEndCount = 0
        // Per counted step: its allocations, and whether it was an epoch's first (which reshuffles).
        var perStep = [UInt64](repeating: 0, count: steps)
        var firstOfEpoch = [Bool](repeating: false, count: steps)
        func step(_ counted: Int?) throws {
            if progress.epochStepsDone {
                let before = counter.count()
                _ = progress.finishEpoch(validationSums: nil, seconds: 0)
                if counted != nil {
                    epochEnds += counter.count() - before
                    epochEndCount += 1
                }
            }
            let stepIndex = progress.position.step, epoch = progress.position.epoch
            let start = counter.count()
            ShardRunner.computeStep(
                runners, epoch: epoch, step: stepIndex, parameters: progress.parameters, gradients: &gradients,
                sums: &sums)
            let computed = counter.count()
            try progress.applyStep(
                shardGradients: gradients, shardSums: sums, batchSize: job.schedule.batchSize(ofStep: stepIndex), pool: pool)
            let applied = counter.count()
            if let counted {
                compute += computed - start
                apply += applied - computed
                perStep[counted] = applied - start
                firstOfEpoch[counted] = stepIndex == 0
            }
        }
        for _ in 0..<max(stepsPerEpoch, 100) { try step(nil) }
        for counted in 0..<steps { try step(counted) }

        let first = perStep.indices.filter { firstOfEpoch[$0] }.map { Double(perStep[$0]) }
        let others = perStep.indices.filter { !firstOfEpoch[$0] }.map { Double(perStep[$0]) }
        func mean(_ values: [Double]) -> Any { values.isEmpty ? NSNull() : values.reduce(0, +) / Double(values.count) }
        return [
            "per_step": Double(compute + apply) / Double(steps), "compute_per_step": Double(compute) / Double(steps),
            "apply_per_step": Double(apply) / Double(steps),
            "median_per_step": Report.median(perStep.map { Double($0) }),
            "steps_without_allocation": perStep.filter { $0 == 0 }.count,
            "first_step_of_epoch_mean": mean(first), "other_steps_mean": mean(others),
            "epoch_ends": epochEndCount,
            "per_epoch_end": epochEndCount == 0 ? 0.0 : Double(epochEnds) / Double(epochEndCount),
            "steps_per_epoch": stepsPerEpoch, "total": Int(compute + apply),
        ]
    }

    /// LocalTrainer.train over whole epochs: counted from the end of its first epoch to its end.
    private func countLocalTrainer(settings: JobSettings, pool: ComputePool, counter: MallocCounter) throws -> [String: Any] {
        var settings = settings
        let probe = try TrainingJob(settings)
        let stepsPerEpoch = probe.schedule.stepsPerEpoch
        let countedEpochs = max(1, (steps + stepsPerEpoch - 1) / stepsPerEpoch)
        settings.epochs = 1 + countedEpochs
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job, pool: pool)
        let marks = EpochMarks(counter: counter)
        try trainer.train(observers: [marks])
        let counted = marks.counts.last! - marks.counts.first!
        let countedSteps = countedEpochs * stepsPerEpoch
        return ["trainer_per_step": Double(counted) / Double(countedSteps), "trainer_steps": countedSteps]
    }
}

/// Reads the allocation counter at the end of every epoch.
private final class EpochMarks: TrainingObserver {
    let counter: MallocCounter
    var counts: [UInt64] = []

    init(counter: MallocCounter) {
        self.counter = counter
        counts.reserveCapacity(1000)
    }

    func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        counts.append(counter.count())
    }
}

/// `dl_malloc_count()` from bench/malloc_count.c, when it is preloaded.
struct MallocCounter {
    private let function: @convention(c) () -> UInt64

    static func find() -> MallocCounter? {
        // A null handle is RTLD_DEFAULT: the global scope, where LD_PRELOAD puts the library.
        guard let symbol = dlsym(nil, "dl_malloc_count") else { return nil }
        return MallocCounter(function: unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self))
    }

    func count() -> UInt64 { function() }
}
