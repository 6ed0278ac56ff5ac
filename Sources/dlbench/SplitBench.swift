// split: where a compute pool's least work per part comes from (ComputePool.MinimumPerPart). It
// times a Dense layer's forward pass (one matrix product and its activation) and Adam's update over
// a range of sizes, on one thread and split over --threads with every minimum set to 1 (so even the
// smallest is split). Below the size where the split wins, a part is not worth handing to another
// thread. Each figure is the best of 5 rounds of --reps calls, which keeps the other processes of
// a shared machine mostly out of it.

import ArgumentParser
import DLCore
import Foundation

struct SplitBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split", abstract: "Products and updates on one thread against split over threads, by size.")

    @Option(help: "The threads to split over.") var threads: Int = 2
    @Option(help: "Calls per timed round.") var reps: Int = 500

    func validate() throws {
        guard threads >= 2, reps >= 1 else { throw ValidationError("--threads must be at least 2 and --reps at least 1") }
    }

    func run() throws {
        let one = ComputePool(threads: 1)
        let split = ComputePool(threads: threads, minimumPerPart: .init(multiplyAdds: 1, elements: 1))
        var products: [[String: Any]] = []
        for (rows, inputs, units) in [(16, 32, 32), (32, 32, 64), (32, 64, 64), (64, 64, 64), (64, 64, 128), (64, 128, 128),
                                      (128, 128, 128), (256, 128, 128), (256, 256, 256)] {
            let spec = try ModelSpec(inputDim: inputs, layers: [DenseSpec(units: units, activation: .relu)])
            let parameters = spec.initialParameters(seed: 1)
            let times = [one, split].map { pool in
                let engine = BatchEngine(spec: spec, loss: .meanSquaredError, metrics: MetricSet([]), capacity: rows, pool: pool)
                return parameters.withUnsafeBufferPointer { p in best { engine.forward(parameters: p, rows: rows) } }
            }
            let multiplyAdds = rows * inputs * units
            print("product \(rows) x \(inputs) x \(units) (\(multiplyAdds) multiply-adds): one thread \(format(times[0])) µs, "
                + "split \(format(times[1])) µs, \(format(times[0] / times[1])) x")
            products.append(["rows": rows, "inputs": inputs, "units": units, "multiply_adds": multiplyAdds,
                             "one_us": times[0], "split_us": times[1]])
        }
        var updates: [[String: Any]] = []
        for count in [4096, 8192, 16384, 32768, 65536, 131_072] {
            var gradient = [Float](repeating: 0.001, count: count)
            let times = [one, split].map { pool in
                var optimizer = Optimizer(.adam(), parameterCount: count, tensors: [0..<count])
                var parameters = [Float](repeating: 0.5, count: count)
                return gradient.withUnsafeMutableBufferPointer { g in
                    parameters.withUnsafeMutableBufferPointer { p in best { optimizer.apply(gradient: g, to: p, pool: pool) } }
                }
            }
            print("adam update of \(count): one thread \(format(times[0])) µs, split \(format(times[1])) µs, "
                + "\(format(times[0] / times[1])) x")
            updates.append(["elements": count, "one_us": times[0], "split_us": times[1]])
        }
        Report.result(["case": "split", "threads": split.threads, "products": products, "adam_updates": updates])
    }

    /// The best of 5 rounds of `reps` calls (after a warm-up round), in µs per call.
    private func best(_ call: () -> Void) -> Double {
        for _ in 0..<max(reps / 10, 1) { call() }
        var fastest = Double.infinity
        for _ in 0..<5 {
            let started = Clock.now()
            for _ in 0..<reps { call() }
            fastest = min(fastest, (Clock.now() - started) / Double(reps) * 1e6)
        }
        return fastest
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
