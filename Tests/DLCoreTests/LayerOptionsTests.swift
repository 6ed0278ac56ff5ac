// The layer list's options: Dropout items, a layer's own regularizers and initializers, the job's
// defaults for what a layer does not set, and the typed errors (with the advice they carry) of
// every mistake: a rate outside [0, 1), a dropout after the output layer or after another dropout,
// an unknown option or initializer (with the name it probably meant), a bad regularizer.

import DLCore
import XCTest

final class LayerOptionsTests: XCTestCase {
    func testDropoutItemsSetTheLayerBeforeThemOrTheInputs() throws {
        let list = try LayerList.parse("dropout:0.1, 64:relu, dropout:0.3, 32:relu, 1:sigmoid")
        XCTAssertEqual(list.inputDropout, 0.1)
        XCTAssertEqual(list.hidden.map(\.dropout), [0.3, nil])
        XCTAssertNil(list.output?.dropout)
        XCTAssertEqual(list.hiddenText, "dropout:0.1,64:relu,dropout:0.3,32:relu")
        let auto = try LayerList.parse("30:relu,dropout:0,auto")
        XCTAssertEqual(auto.hidden.map(\.dropout), [0])
        XCTAssertNil(auto.output)
        XCTAssertEqual(auto.hiddenText, "30:relu,dropout:0")
    }

    func testBadDropoutsAreRefusedWithAdvice() {
        for item in ["dropout:1", "dropout:-0.1", "dropout:nan", "dropout", "dropout:0.3:2", "dropout:0.99999999"] {
            XCTAssertThrowsError(try LayerList.parse("8:relu,\(item),1"), item) { error in
                guard case let .badDropout(text, reason)? = error as? ModelSpecError else { return XCTFail("\(item): \(error)") }
                XCTAssertEqual(text, item)
                XCTAssertTrue(reason.contains("dropout:0.3"), reason)
            }
        }
        XCTAssertThrowsError(try LayerList.parse("8:relu,1:sigmoid,dropout:0.2")) { error in
            guard case let .badDropout(_, reason)? = error as? ModelSpecError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("output layer"), reason)
        }
        XCTAssertThrowsError(try LayerList.parse("8:relu,dropout:0.2,dropout:0.3,1")) { error in
            guard case let .badDropout(text, reason)? = error as? ModelSpecError else { return XCTFail("\(error)") }
            XCTAssertEqual(text, "dropout:0.3")
            XCTAssertTrue(reason.contains("one Dropout layer"), reason)
        }
        XCTAssertThrowsError(try LayerList.parse("dropout:0.2")) { XCTAssertEqual($0 as? ModelSpecError, .emptyModel) }
    }

    func testALayersOwnOptionsWinOverTheDefaults() throws {
        let defaults = LayerDefaults(
            kernelRegularizer: Regularizer(l2: 0.001), biasRegularizer: Regularizer(l1: 0.5),
            kernelInitializer: .heNormal, biasInitializer: .ones)
        let list = try LayerList.parse(
            "64:relu:l1=0.01:l2=0.02:kernel_initializer=lecun_uniform, 32:bias_l2=0.3:bias_initializer=zeros, 1:sigmoid",
            defaults: defaults)
        let layers = try XCTUnwrap(list.layers)
        XCTAssertEqual(layers[0].kernelRegularizer, Regularizer(l1: 0.01, l2: 0.02))
        XCTAssertEqual(layers[0].biasRegularizer, Regularizer(l1: 0.5))
        XCTAssertEqual(layers[0].kernelInitializer, .lecunUniform)
        XCTAssertEqual(layers[0].biasInitializer, .ones)
        XCTAssertEqual(layers[1].activation, .linear)
        XCTAssertEqual(layers[1].kernelRegularizer, Regularizer(l2: 0.001))
        XCTAssertEqual(layers[1].biasRegularizer, Regularizer(l2: 0.3))
        XCTAssertEqual(layers[1].kernelInitializer, .heNormal)
        XCTAssertEqual(layers[1].biasInitializer, .zeros)
        XCTAssertEqual(layers[2], defaults.applied(to: DenseSpec(units: 1, activation: .sigmoid)))
        // No options and no defaults: Keras's Dense, as before the options existed.
        XCTAssertEqual(try LayerList.parse("30:relu,1:sigmoid").layers, [
            DenseSpec(units: 30, activation: .relu), DenseSpec(units: 1, activation: .sigmoid),
        ])
    }

    func testBadLayerOptionsAreRefusedWithAdvice() {
        func reason(_ text: String) -> String? {
            do {
                _ = try LayerList.parse(text)
                return nil
            } catch let .badLayerOption(_, reason) {
                return reason
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(reason("64:relu:l3=0.1,1")?.contains("did you mean l1?") == true)
        XCTAssertTrue(reason("64:relu:l2=-1,1")?.contains("at least 0") == true)
        XCTAssertTrue(reason("64:relu:l2=inf,1")?.contains("at least 0") == true)
        XCTAssertTrue(reason("64:relu:l2=0.1:l2=0.2,1")?.contains("given twice") == true)
        XCTAssertTrue(reason("64:relu:kernel_initializer=he_nromal,1")?.contains("did you mean he_normal?") == true)
        XCTAssertTrue(reason("64:relu:bias_initializer=orthogonal,1")?.contains("not a bias") == true)
        XCTAssertThrowsError(try LayerList.parse("32:relu:x")) { XCTAssertEqual($0 as? ModelSpecError, .badLayer("32:relu:x")) }
        XCTAssertThrowsError(try LayerList.parse("32:l2=0.1:relu")) { XCTAssertEqual($0 as? ModelSpecError, .badLayer("32:l2=0.1:relu")) }
    }

    func testRegularizerTextsAreKerasRegularizers() throws {
        XCTAssertEqual(try Regularizer.parse("l2:0.001"), Regularizer(l2: 0.001))
        XCTAssertEqual(try Regularizer.parse("L1"), Regularizer(l1: 0.01))
        XCTAssertEqual(try Regularizer.parse("l2"), Regularizer(l2: 0.01))
        XCTAssertEqual(try Regularizer.parse("l1_l2:l1=0.0001,l2=0.001"), Regularizer(l1: 0.0001, l2: 0.001))
        XCTAssertEqual(try Regularizer.parse("l1_l2:l2=0.5"), Regularizer(l1: 0, l2: 0.5))
        for (text, hint) in [
            ("l3:0.1", "did you mean l1?"), ("l2:-0.1", "at least 0"), ("l2:x", "at least 0"), ("l1_l2", "l1=V"),
            ("l1_l2:l3=1", "l1=V"), ("l1_l2:l1=1,l1=2", "twice"), ("l1:", "at least 0"), ("l2:1e40", "at least 0"),
        ] {
            XCTAssertThrowsError(try Regularizer.parse(text), text) { error in
                guard case let .badRegularizer(whole, reason)? = error as? ModelSpecError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(whole, text)
                XCTAssertTrue(reason.contains(hint), "\(text): \(reason)")
            }
        }
        for regularizer in [Regularizer(l1: 0.25), Regularizer(l2: 0.5), Regularizer(l1: 0.125, l2: 2)] {
            XCTAssertEqual(try Regularizer.parse(regularizer.text), regularizer)
        }
    }

    func testAModelWithoutTheOptionsIsEncodedAsBefore() throws {
        let spec = try ModelSpec(inputDim: 3, layers: try XCTUnwrap(LayerList.parse("4:relu,1:sigmoid").layers))
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        XCTAssertFalse(json.contains("egularizer") || json.contains("ropout"), json)
        let options = try ModelSpec(
            inputDim: 3, layers: try XCTUnwrap(LayerList.parse("4:relu:l2=0.5,dropout:0.25,1:sigmoid").layers), inputDropout: 0.1)
        XCTAssertEqual(try JSONDecoder().decode(ModelSpec.self, from: JSONEncoder().encode(options)), options)
    }
}
