// Work split over threads gives the bits of the work done whole: the kernel gradient and the
// transpose computed a block of rows at a time, a batch engine's gradient and evaluation with 2 and
// 3 threads (its products large enough to be split, which the pool's count shows), every
// optimizer's update of a large buffer in ranges, and the parts of a gradient a batch engine
// reports final before its backward pass ends (what the ring sends early).

import CKernels
@testable import DLCore
import XCTest

final class SplitComputationTests: XCTestCase {
    override func tearDown() {
        dl_kernels_allow_vector(1)
    }

    private func values(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in generator.nextIndex(below: 6) == 0 ? 0 : 2 * generator.nextUnitFloat() - 1 }
    }

    func testKernelGradientAndTransposeByBlocksOfRows() {
        var generator = SeededGenerator(seed: 7)
        for vector: Int32 in [1, 0] {
            dl_kernels_allow_vector(vector)
            for (rows, k, n) in [(37, 45, 33), (256, 64, 40), (5, 13, 1)] {
                let a = values(rows * k, &generator), b = values(rows * n, &generator), start = values(k * n, &generator)
                var whole = start, blocks = start
                MatrixKernels.accumulateTransposedProduct(a, b, into: &whole, rows: rows, inner: k, columns: n)
                for block in [0..<6, 6..<7, 7..<k] {
                    MatrixKernels.accumulateTransposedProduct(a, b, into: &blocks, rows: rows, inner: k, columns: n, outputRows: block)
                }
                XCTAssertEqual(blocks.map(\.bitPattern), whole.map(\.bitPattern), "\(rows)x\(k)x\(n), vector \(vector)")

                var transposed = [Float](repeating: .nan, count: k * n), byBlocks = transposed
                MatrixKernels.transpose(start, into: &transposed, rows: k, columns: n)
                for block in [0..<3, 3..<k] {
                    MatrixKernels.transpose(start, into: &byBlocks, rows: k, columns: n, sourceRows: block)
                }
                XCTAssertEqual(byBlocks.map(\.bitPattern), transposed.map(\.bitPattern))
                XCTAssertTrue((0..<k).allSatisfy { i in (0..<n).allSatisfy { j in transposed[j * k + i] == start[i * n + j] } })
            }
        }
    }

    /// A model whose products split into 2 and 3 parts; the output activation is not fused with
    /// the loss (mean squared error on softmax), so its backward pass is split too.
    func testBatchEngineGivesTheSameBitsOnEveryThreadCount() throws {
        let spec = try ModelSpec(inputDim: 40, layers: [
            DenseSpec(units: 96, activation: .relu), DenseSpec(units: 64, activation: .tanh),
            DenseSpec(units: 3, activation: .softmax),
        ])
        let metrics = MetricSet([.meanAbsoluteError])
        let parameters = spec.initialParameters(seed: 11)
        var generator = SeededGenerator(seed: 12)
        let rows = 100
        let features = values(rows * 40, &generator), targets = values(rows * 3, &generator).map(abs)
        var results: [(gradient: [UInt32], sums: [Double], outputs: [UInt32])] = []
        for threads in 1...3 {
            let pool = ComputePool(threads: threads)
            let engine = BatchEngine(spec: spec, loss: .meanSquaredError, metrics: metrics, capacity: rows, pool: pool)
            engine.inputs.baseAddress!.update(from: features, count: features.count)
            engine.targets.baseAddress!.update(from: targets, count: targets.count)
            var gradient = [Float](repeating: .nan, count: spec.layout.count)
            var sums = metrics.makeSums()
            parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    engine.computeGradientSum(parameters: p, rows: rows, gradient: g, sums: &sums)
                }
                engine.evaluate(parameters: p, rows: rows, sums: &sums)
            }
            let outputs = UnsafeBufferPointer(start: engine.outputs, count: rows * 3).map(\.bitPattern)
            results.append((gradient.map(\.bitPattern), sums, outputs))
            XCTAssertEqual(pool.parallelRuns > 0, threads > 1, "\(threads) threads")
        }
        for threads in 2...3 {
            XCTAssertEqual(results[threads - 1].gradient, results[0].gradient, "\(threads) threads")
            XCTAssertEqual(results[threads - 1].sums, results[0].sums)
            XCTAssertEqual(results[threads - 1].outputs, results[0].outputs)
        }
    }

    func testTheGradientReportedReadyIsFinalFromTheTopLayerDown() throws {
        let spec = try ModelSpec(inputDim: 12, layers: [
            DenseSpec(units: 16, activation: .relu), DenseSpec(units: 8, activation: .tanh),
            DenseSpec(units: 1, activation: .sigmoid),
        ])
        let metrics = MetricSet([.binaryAccuracy])
        let parameters = spec.initialParameters(seed: 3)
        var generator = SeededGenerator(seed: 4)
        let rows = 30
        let engine = BatchEngine(spec: spec, loss: .binaryCrossentropy, metrics: metrics, capacity: rows, pool: ComputePool(threads: 1))
        engine.inputs.baseAddress!.update(from: values(rows * 12, &generator), count: rows * 12)
        engine.targets.baseAddress!.update(from: (0..<rows).map { Float($0 % 2) }, count: rows)
        var gradient = [Float](repeating: .nan, count: spec.layout.count)
        var sums = metrics.makeSums()
        var reported: [(offset: Int, values: [UInt32])] = []
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                engine.computeGradientSum(parameters: p, rows: rows, gradient: g, sums: &sums) { [g] offset in
                    reported.append((offset, g[offset...].map(\.bitPattern)))
                }
            }
        }
        XCTAssertEqual(reported.map(\.offset), [spec.layout.kernelOffsets[2], spec.layout.kernelOffsets[1]])
        for (offset, values) in reported {
            XCTAssertEqual(values, gradient[offset...].map(\.bitPattern), "from \(offset)")
        }
        XCTAssertFalse(gradient.contains { $0.isNaN })
    }

    func testEveryOptimizerUpdatesInRangesToTheSameBits() throws {
        let count = 70_001
        var generator = SeededGenerator(seed: 5)
        let start = values(count, &generator), gradient = values(count, &generator)
        var configs: [OptimizerConfig] = [
            .sgd(), .sgd(momentum: 0.9, nesterov: true), .adam(), .rmsprop(momentum: 0.5), .adagrad(),
        ]
        // Every rule, and Keras's base options on top of one (clipping rescales before the split).
        for name in ["adamw", "nadam", "adamax", "adadelta", "ftrl"] { configs.append(try OptimizerConfig(name: name)) }
        configs.append(try OptimizerConfig(
            name: "adam", arguments: ["amsgrad": 1, "weight_decay": 0.01, "global_clipnorm": 1, "use_ema": 1, "ema_overwrite_frequency": 2]))
        for config in configs {
            var results: [[UInt32]] = []
            for threads in 1...3 {
                let pool = ComputePool(threads: threads)
                var optimizer = Optimizer(config, parameterCount: count, tensors: [0..<7, 7..<count])
                var parameters = start
                for _ in 0..<3 {
                    var gradient = gradient
                    gradient.withUnsafeMutableBufferPointer { g in
                        parameters.withUnsafeMutableBufferPointer { optimizer.apply(gradient: g, to: $0, pool: pool) }
                    }
                }
                results.append((parameters + optimizer.state).map(\.bitPattern))
                XCTAssertEqual(pool.parallelRuns > 0, threads > 1, "\(config.name), \(threads) threads")
            }
            XCTAssertEqual(results[1], results[0], config.name)
            XCTAssertEqual(results[2], results[0], config.name)
        }
    }
}
