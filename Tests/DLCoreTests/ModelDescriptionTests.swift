// Names as Keras users write them: layers, activations, losses with their aliases, optimizers with
// their arguments and defaults, and the errors for names that do not exist.

import DLCore
import Foundation
import XCTest

final class ModelDescriptionTests: XCTestCase {
    func testLayerListParses() throws {
        let list = try LayerList.parse("30:relu, 1:sigmoid")
        XCTAssertEqual(list.layers, [DenseSpec(units: 30, activation: .relu), DenseSpec(units: 1, activation: .sigmoid)])
        XCTAssertEqual(list.hiddenText, "30:relu")
        XCTAssertEqual(try LayerList.parse("8:leaky_relu").output?.activation, .leakyRelu)
        XCTAssertThrowsError(try LayerList.parse("30relu")) { error in
            XCTAssertEqual(error as? ModelSpecError, .badLayer("30relu"))
        }
        XCTAssertThrowsError(try LayerList.parse("0:relu")) { XCTAssertEqual($0 as? ModelSpecError, .badLayer("0:relu")) }
        XCTAssertThrowsError(try LayerList.parse("3:swish")) { error in
            XCTAssertEqual(
                error as? ModelSpecError,
                .unknownActivation("swish", known: ["linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu", "elu"]))
        }
    }

    /// Keras's Dense(units) is linear: so is a layer written without an activation.
    func testALayerWithoutAnActivationIsLinear() throws {
        XCTAssertEqual(
            try LayerList.parse("32:relu,1").layers,
            [DenseSpec(units: 32, activation: .relu), DenseSpec(units: 1, activation: .linear)])
        XCTAssertThrowsError(try LayerList.parse("32:relu:x")) { XCTAssertEqual($0 as? ModelSpecError, .badLayer("32:relu:x")) }
    }

    /// `auto` leaves the output layer to the label, and stands only for it.
    func testAutoStandsForTheOutputLayerOnly() throws {
        let list = try LayerList.parse("30:relu,16:tanh,auto")
        XCTAssertNil(list.output)
        XCTAssertNil(list.layers)
        XCTAssertEqual(list.hiddenText, "30:relu,16:tanh")
        XCTAssertEqual(try LayerList.parse("auto").hidden, [])
        XCTAssertThrowsError(try LayerList.parse("auto,1:sigmoid")) {
            XCTAssertEqual($0 as? ModelSpecError, .autoNotLast("auto,1:sigmoid"))
        }
    }

    /// A flag cannot make dltrain allocate without bound: units are capped where the list is parsed.
    func testUnitsAreBounded() throws {
        XCTAssertNoThrow(try LayerList.parse("\(LayerList.maximumUnits):relu"))
        XCTAssertThrowsError(try LayerList.parse("99999999999:relu,1")) {
            XCTAssertEqual($0 as? ModelSpecError, .tooManyUnits("99999999999:relu", maximum: LayerList.maximumUnits))
        }
        XCTAssertThrowsError(try LayerList.parse("")) { XCTAssertEqual($0 as? ModelSpecError, .emptyModel) }
    }

    /// However a model is made (flags, a file, a message), its inputs, units and parameter count
    /// are bounded before anything is allocated for it, with arithmetic that cannot overflow.
    func testModelsAreBoundedHoweverTheyAreMade() throws {
        let unit = DenseSpec(units: 1, activation: .sigmoid)
        XCTAssertThrowsError(try ModelSpec(inputDim: ModelSpec.maximumInputs + 1, layers: [unit])) {
            XCTAssertEqual($0 as? ModelSpecError, .tooManyInputs(ModelSpec.maximumInputs + 1, maximum: ModelSpec.maximumInputs))
        }
        let wide = DenseSpec(units: LayerList.maximumUnits, activation: .relu)
        XCTAssertThrowsError(try ModelSpec(inputDim: LayerList.maximumUnits, layers: [wide, unit])) {
            XCTAssertEqual($0 as? ModelSpecError, .tooManyParameters((1 << 40) + (1 << 21) + 1, maximum: ModelSpec.maximumParameters))
        }
        XCTAssertNoThrow(try ModelSpec(inputDim: 1 << 9, layers: [DenseSpec(units: LayerList.maximumUnits, activation: .relu)]))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let overflowing = #"{"input_dim":20000,"layers":[{"units":1125899906842624,"activation":"relu","#
            + #""kernel_initializer":"glorot_uniform","bias_initializer":"zeros"}]}"#
        XCTAssertThrowsError(try decoder.decode(ModelSpec.self, from: Data(overflowing.utf8))) {
            XCTAssertTrue($0 is DecodingError, "\($0)")
        }
    }

    /// Arguments are doubles in files and flags but float32 in the optimizer: found by fuzzing
    /// checkpoints, a learning rate of 1e39 passed as finite and trained as infinite.
    func testOptimizerArgumentsBeyondFloat32AreRefused() {
        XCTAssertThrowsError(try OptimizerConfig(name: "adam", arguments: ["learning_rate": 1e39])) {
            guard case .badOptimizerArgument("learning_rate", 1e39, _)? = $0 as? ModelSpecError else { return XCTFail("\($0)") }
        }
    }

    func testParameterLayoutIsKernelThenBiasPerLayer() throws {
        let spec = try ModelSpec(inputDim: 17, layers: LayerList.parse("30:relu,1:sigmoid").layers ?? [])
        let layout = spec.layout
        XCTAssertEqual(layout.count, 17 * 30 + 30 + 30 + 1)
        XCTAssertEqual(layout.kernelRange(0), 0..<510)
        XCTAssertEqual(layout.biasRange(0), 510..<540)
        XCTAssertEqual(layout.kernelRange(1), 540..<570)
        XCTAssertEqual(layout.biasRange(1), 570..<571)
        let parameters = spec.initialParameters(seed: 3)
        XCTAssertEqual(parameters, spec.initialParameters(seed: 3))
        XCTAssertNotEqual(parameters, spec.initialParameters(seed: 4))
        XCTAssertEqual(Array(parameters[510..<540]), [Float](repeating: 0, count: 30), "biases start at zero")
        let limit = Float((6.0 / 47).squareRoot())
        XCTAssertTrue(parameters[0..<510].allSatisfy { abs($0) <= limit }, "glorot_uniform limit")
    }

    func testLossNamesAndAliases() throws {
        XCTAssertEqual(try Loss(name: "mse"), .meanSquaredError)
        XCTAssertEqual(try Loss(name: "MAE"), .meanAbsoluteError)
        XCTAssertEqual(try Loss(name: "binary_crossentropy"), .binaryCrossentropy)
        XCTAssertThrowsError(try Loss(name: "hinge"))
        XCTAssertThrowsError(try Loss.categoricalCrossentropy.validate(outputs: 1)) { error in
            XCTAssertTrue("\(error)".contains("use binary_crossentropy for one sigmoid output"))
        }
    }

    func testOptimizerDefaultsAndArguments() throws {
        XCTAssertEqual(try OptimizerConfig(name: "adam"), .adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7))
        XCTAssertEqual(try OptimizerConfig(name: "sgd"), .sgd(learningRate: 0.01, momentum: 0, nesterov: false))
        XCTAssertEqual(
            try OptimizerConfig(name: "SGD", arguments: ["momentum": 0.9, "nesterov": 1]),
            .sgd(learningRate: 0.01, momentum: 0.9, nesterov: true))
        XCTAssertEqual(try OptimizerConfig(name: "rmsprop").learningRate, 0.001)
        XCTAssertEqual(try OptimizerConfig(name: "adagrad"), .adagrad(learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7))
        XCTAssertThrowsError(try OptimizerConfig(name: "adam", arguments: ["momentum": 0.9])) { error in
            XCTAssertTrue("\(error)".hasPrefix("optimizer argument momentum=0.9 is invalid: "), "\(error)")
            XCTAssertTrue("\(error)".contains("adam takes amsgrad, beta_1, beta_2, clipnorm, clipvalue, ema_momentum"), "\(error)")
        }
        XCTAssertThrowsError(try OptimizerConfig(name: "adam", arguments: ["learning_rate": -1]))
        XCTAssertThrowsError(try OptimizerConfig(name: "lamb"))
    }

    func testAdagradStartsFromItsInitialAccumulator() {
        var optimizer = Optimizer(
            .adagrad(learningRate: 0.1, initialAccumulatorValue: 0.1, epsilon: 1e-7), parameterCount: 1, tensors: [0..<1])
        var parameters: [Float] = [1]
        var gradient: [Float] = [0.5]
        gradient.withUnsafeMutableBufferPointer { g in parameters.withUnsafeMutableBufferPointer { optimizer.apply(gradient: g, to: $0) } }
        XCTAssertEqual(parameters[0], 1 - 0.1 * 0.5 / (0.35 as Float + 1e-7).squareRoot(), accuracy: 1e-7)
        XCTAssertEqual(optimizer.iterations, 1)
    }

    /// Optimizer arguments are checked as training uses them, in float32: 1e300 is infinite there,
    /// a decay rate of 1 divides by zero in Adam's bias correction, nesterov is a flag.
    func testOptimizerArgumentsOutOfRangeAreRefused() {
        for (name, arguments) in [
            ("adam", ["learning_rate": 1e300]), ("adam", ["beta_1": 1]), ("adam", ["beta_2": 1.5]), ("adam", ["epsilon": -1]),
            ("rmsprop", ["rho": 1]), ("sgd", ["nesterov": 0.5]), ("sgd", ["momentum": .nan]), ("adagrad", ["learning_rate": 0]),
        ] {
            XCTAssertThrowsError(try OptimizerConfig(name: name, arguments: arguments), "\(name) \(arguments)") { error in
                guard case let .badOptimizerArgument(argument, _, _)? = error as? ModelSpecError else {
                    return XCTFail("\(name) \(arguments): \(error)")
                }
                XCTAssertEqual(argument, arguments.keys.first)
            }
        }
        XCTAssertNoThrow(try OptimizerConfig(name: "adam", arguments: ["beta_1": 0.99, "beta_2": 0]))
    }

    /// A model's widths and parameter count are checked before any of it is allocated: no count of
    /// a layer list, a job file or a message overflows the layout's arithmetic.
    func testAModelTooWideOrTooLargeIsRefusedWithItsSize() {
        let wide = LayerList.maximumUnits
        XCTAssertThrowsError(try ModelSpec(inputDim: wide + 1, layers: [DenseSpec(units: 1, activation: .sigmoid)])) {
            XCTAssertEqual($0 as? ModelSpecError, .tooManyInputs(wide + 1, maximum: wide))
        }
        XCTAssertThrowsError(try ModelSpec(inputDim: 3, layers: [DenseSpec(units: 1 << 62, activation: .relu)])) {
            XCTAssertEqual($0 as? ModelSpecError, .tooManyUnits("\(1 << 62):relu", maximum: wide))
        }
        let layers = [DenseSpec(units: wide, activation: .relu), DenseSpec(units: wide, activation: .relu)]
        XCTAssertThrowsError(try ModelSpec(inputDim: 17, layers: layers)) { error in
            XCTAssertEqual(error as? ModelSpecError, .tooManyParameters(wide * 18 + wide * (wide + 1), maximum: ModelSpec.maximumParameters))
            XCTAssertTrue("\(error)".contains("4.4 TB"), "says the size it would need: \(error)")
        }
        XCTAssertEqual(try ModelSpec(inputDim: 17, layers: [DenseSpec(units: 30, activation: .relu)]).layout.count, 18 * 30)
    }
}
