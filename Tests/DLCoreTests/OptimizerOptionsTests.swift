// The optimizer options Keras's BaseOptimizer gives every optimizer, the new rules' arguments and
// the learning-rate schedules' text: what is accepted, what is refused (and the advice), that a
// configuration's arguments give it back, and the state rules a run relies on (Nadam's restored
// u_product, clipnorm per tensor, the final weights of use_ema, the scheduled rate).

import DLCore
import XCTest

final class OptimizerOptionsTests: XCTestCase {
    func testKerasDefaultsOfTheNewOptimizers() throws {
        XCTAssertEqual(try OptimizerConfig(name: "adamw").weightDecay, 0.004)
        XCTAssertEqual(try OptimizerConfig(name: "adamw").rule, .adamw(beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false))
        XCTAssertEqual(try OptimizerConfig(name: "adadelta").rule, .adadelta(rho: 0.95, epsilon: 1e-7))
        XCTAssertEqual(
            try OptimizerConfig(name: "ftrl").rule,
            .ftrl(learningRatePower: -0.5, initialAccumulatorValue: 0.1, l1: 0, l2: 0, l2Shrinkage: 0, beta: 0))
        XCTAssertEqual(try OptimizerConfig(name: "ftrl").slotNames, ["accumulator", "linear"])
        XCTAssertEqual(try OptimizerConfig(name: "adam", arguments: ["amsgrad": 1, "use_ema": 1]).slotNames,
                       ["momentum", "velocity", "velocity_hat", "average"])
        let ema = try OptimizerConfig(name: "sgd", arguments: ["use_ema": 1])
        XCTAssertEqual(ema.movingAverage, MovingAverage(momentum: 0.99, overwriteFrequency: nil))
    }

    /// A job without the new options writes the arguments it always wrote (model files and
    /// checkpoints keep their bytes).
    func testArgumentsOfTheExistingOptimizersAreUnchanged() throws {
        XCTAssertEqual(Set(try OptimizerConfig(name: "adam").arguments.keys), ["learning_rate", "beta_1", "beta_2", "epsilon"])
        XCTAssertEqual(Set(try OptimizerConfig(name: "sgd").arguments.keys), ["learning_rate", "momentum", "nesterov"])
    }

    func testArgumentsAndScheduleTextGiveTheConfigurationBack() throws {
        let configs = [
            try OptimizerConfig(name: "adamw", arguments: ["weight_decay": 0, "amsgrad": 1, "clipnorm": 0.5]),
            try OptimizerConfig(name: "nadam", arguments: ["use_ema": 1, "ema_momentum": 0.9, "ema_overwrite_frequency": 3]),
            try OptimizerConfig(name: "ftrl", arguments: ["beta": 0.1, "l1_regularization_strength": 0.01, "global_clipnorm": 2]),
            try OptimizerConfig(name: "rmsprop", arguments: ["weight_decay": 0.01, "clipvalue": 0.1],
                                schedule: "piecewise_constant_decay:boundaries=10/20,values=0.1/0.01/0.001"),
            try OptimizerConfig(name: "adam", arguments: ["learning_rate": 0.02], schedule: "cosine_decay:decay_steps=100"),
        ]
        for config in configs {
            XCTAssertEqual(
                try OptimizerConfig(name: config.name, arguments: config.arguments, schedule: config.schedule?.text), config,
                config.name)
        }
        // initial_learning_rate defaults to the optimizer's learning rate, and the text keeps it.
        XCTAssertEqual(configs[4].schedule?.text.contains("initial_learning_rate=0.02"), true)
    }

    func testBadOptimizerArgumentsAreRefusedWithAdvice() {
        func reason(_ name: String, _ arguments: [String: Double]) -> String {
            do { _ = try OptimizerConfig(name: name, arguments: arguments); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(reason("adam", ["clip_norm": 1]).contains("did you mean clipnorm?"))
        let twoClips = reason("sgd", ["clipnorm": 1, "global_clipnorm": 1])
        XCTAssertTrue(twoClips.contains("only one of clipnorm, clipvalue and global_clipnorm"), twoClips)
        XCTAssertTrue(reason("sgd", ["ema_overwrite_frequency": 1.5, "use_ema": 1]).contains("whole number"))
        XCTAssertTrue(reason("sgd", ["ema_momentum": 1.5, "use_ema": 1]).contains("between 0 and 1"))
        XCTAssertTrue(reason("ftrl", ["learning_rate_power": 0.5]).contains("<= 0"))
        XCTAssertTrue(reason("sgd", ["clipnorm": 0]).contains("> 0"))
        XCTAssertTrue(reason("nadam", ["amsgrad": 1]).contains("nadam takes"))
        XCTAssertTrue(reason("lion", [:]).contains("adamw"))
    }

    func testBadSchedulesAreRefusedWithAdvice() {
        func reason(_ text: String) -> String {
            do { _ = try LearningRateSchedule(parsing: text, initialLearningRate: 0.1); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(reason("cosine_decy:decay_steps=10").contains("did you mean cosine_decay?"))
        XCTAssertTrue(reason("cosine_decay:alpha=0.1").contains("needs decay_steps"))
        XCTAssertTrue(reason("cosine_decay:decay_steps=0").contains("> 0"))
        XCTAssertTrue(reason("cosine_decay:decay_steps=10,warmup_steps=5").contains("warmup_target"))
        XCTAssertTrue(reason("exponential_decay:decay_steps=10,decay_rat=0.5").contains("did you mean decay_rate?"))
        XCTAssertTrue(reason("exponential_decay:decay_steps=10,decay_rate=0.5,staircase=yes").contains("true or false"))
        XCTAssertTrue(reason("piecewise_constant_decay:boundaries=10/20,values=0.1/0.01").contains("one value more"))
        XCTAssertTrue(reason("piecewise_constant_decay:boundaries=20/10,values=0.1/0.01/0.001").contains("increase"))
        XCTAssertTrue(reason("piecewise_constant_decay:boundaries=1.5,values=0.1/0.01").contains("step count"))
        XCTAssertTrue(reason("polynomial_decay:decay_steps=10,power=nan").contains("finite number"))
        XCTAssertEqual(reason("inverse_time_decay : decay_steps = 10 , decay_rate = 0.5"), "accepted")
    }

    func testTheRateFollowsTheScheduleAndNotSetLearningRate() throws {
        let config = try OptimizerConfig(
            name: "sgd", arguments: ["learning_rate": 0.1], schedule: "piecewise_constant_decay:boundaries=1,values=0.5/0.25")
        var optimizer = Optimizer(config, parameterCount: 1, tensors: [0..<1])
        var parameters: [Float] = [1], gradient: [Float] = [1]
        XCTAssertEqual(optimizer.currentLearningRate, 0.5)
        optimizer.setLearningRate(0.001)
        for _ in 0..<2 {
            gradient.withUnsafeMutableBufferPointer { g in parameters.withUnsafeMutableBufferPointer { optimizer.apply(gradient: g, to: $0) } }
        }
        XCTAssertEqual(optimizer.currentLearningRate, 0.25)
        XCTAssertEqual(parameters[0], 1 - 0.5 - 0.5, "steps 0 and 1 are at or before the boundary 1")
    }

    /// clipnorm scales each variable on its own: one over the limit to the limit, one under it
    /// times limit / limit (as tf.clip_by_norm, which keeps it but for rounding).
    func testClipNormIsPerTensorAndGlobalNormIsOverAll() throws {
        func clipped(_ arguments: [String: Double]) throws -> [Float] {
            var optimizer = Optimizer(try OptimizerConfig(name: "sgd", arguments: ["learning_rate": 1].merging(arguments) { $1 }),
                                      parameterCount: 4, tensors: [0..<2, 2..<4])
            var parameters: [Float] = [0, 0, 0, 0], gradient: [Float] = [3, 4, 0.3, 0.4]
            gradient.withUnsafeMutableBufferPointer { g in parameters.withUnsafeMutableBufferPointer { optimizer.apply(gradient: g, to: $0) } }
            return parameters.map { -$0 }
        }
        XCTAssertEqual(try clipped(["clipnorm": 1]), [0.6, 0.8, 0.3, 0.4])
        let global = try clipped(["global_clipnorm": 1])
        let norm = (25 + 0.25 as Float).squareRoot()
        for (value, expected) in zip(global, [3, 4, 0.3, 0.4] as [Float]) { XCTAssertEqual(value, expected / norm, accuracy: 1e-7) }
        XCTAssertEqual(try clipped(["clipvalue": 0.35]), [0.35, 0.35, 0.3, 0.35])
    }

    /// Nadam's u_product is not saved: an optimizer restored mid-run continues with the bits of
    /// the one that never stopped.
    func testARestoredNadamContinuesBitForBit() throws {
        let config = try OptimizerConfig(name: "nadam", arguments: ["learning_rate": 0.01, "use_ema": 1])
        var through = Optimizer(config, parameterCount: 3, tensors: [0..<3])
        var parameters: [Float] = [0.5, -0.25, 1]
        func step(_ optimizer: inout Optimizer, _ parameters: inout [Float], _ index: Int) {
            var gradient: [Float] = [0.1, -0.2, 0.05].map { $0 * Float(index + 1) }
            gradient.withUnsafeMutableBufferPointer { g in parameters.withUnsafeMutableBufferPointer { optimizer.apply(gradient: g, to: $0) } }
        }
        for index in 0..<4 { step(&through, &parameters, index) }
        var restored = Optimizer(config, parameterCount: 3, tensors: [0..<3], iterations: through.iterations, state: through.state)
        var copy = parameters
        for index in 4..<8 {
            step(&through, &parameters, index)
            step(&restored, &copy, index)
        }
        XCTAssertEqual(copy.map(\.bitPattern), parameters.map(\.bitPattern))
        XCTAssertEqual(restored, through)
        XCTAssertNotEqual(through.finalParameters(parameters), parameters, "use_ema ends with the averages")
    }
}
