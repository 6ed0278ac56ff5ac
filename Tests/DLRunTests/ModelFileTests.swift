// model.safetensors: the bytes follow the safetensors format (checked by the Python `safetensors`
// package itself), the metadata rebuilds the model, and damaged files are refused with a reason.

import DLCore
import DLData
@testable import DLRun
import DLTraining
import Foundation
import DLTestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    private func trainedBreastCancerModel() throws -> ModelFile {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 2
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        return ModelFile(job: job, parameters: trainer.parameters, epochs: 2)
    }

    func testRoundTripKeepsEverything() throws {
        let model = try trainedBreastCancerModel()
        let path = try temporaryDirectory(self) + "/model.safetensors"
        try model.write(to: path)
        let read = try ModelFile.read(path: path)
        XCTAssertEqual(read, model)
        XCTAssertEqual(read.parameters.map(\.bitPattern), model.parameters.map(\.bitPattern))
        XCTAssertEqual(read.features.count, 30)
        XCTAssertEqual(read.features.first, "mean_radius")
        XCTAssertEqual(read.labels.classes, ["B", "M"])
        XCTAssertEqual(read.standardization?.mean.count, 30)
        XCTAssertEqual(read.training.trainingRows, 455)
        // The same model always gives the same bytes.
        XCTAssertEqual(model.safeTensors().encoded(), read.safeTensors().encoded())
    }

    func testHeaderIsAlignedAndTensorsAreNamedAsKerasLayers() throws {
        let model = try trainedBreastCancerModel()
        let bytes = model.safeTensors().encoded()
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)
        let names = model.safeTensors().tensors.map(\.name)
        XCTAssertEqual(names, ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])
        XCTAssertEqual(model.safeTensors().tensor(named: "dense/kernel")?.shape, [30, 16])
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * model.parameters.count)
    }

    func testMetadataWithEveryKindOfCharacterReadsBackUnchanged() throws {
        let texts = ["plain", "{\"a\":[1,\"b\\\\c\"]}", "line\nbreak\rreturn\ttab", "\u{01}\u{1F}\u{7F}", "façade → 模型 🙂", ""]
        let file = SafeTensors(
            tensors: [.init(name: "t", shape: [2], values: [1.5, -0.0])],
            metadata: Dictionary(uniqueKeysWithValues: texts.enumerated().map { ("key\($0.offset)", $0.element) }))
        let read = try SafeTensors(decoding: file.encoded(), path: "t.safetensors")
        XCTAssertEqual(read, file)
        XCTAssertEqual(SafeTensors.quoted("a\"b\\c\n\u{01}é"), #""a\"b\\c\n\u0001é""#)
    }

    func testDamagedFilesAreRefusedWithAReason() throws {
        let bytes = try trainedBreastCancerModel().safeTensors().encoded()
        func reason(_ bytes: [UInt8]) -> String {
            do {
                _ = try ModelFile(SafeTensors(decoding: bytes, path: "m.safetensors"), path: "m.safetensors")
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(reason(Array(bytes[0..<5])).contains("shorter than a safetensors header"))
        XCTAssertTrue(reason(Array(bytes.dropLast(4))).contains("does not fit shape"), reason(Array(bytes.dropLast(4))))
        // As the reference reader: the tensors fill the data exactly, nothing left over.
        XCTAssertTrue(reason(bytes + [0, 0, 0, 0]).contains("the file holds"), reason(bytes + [0, 0, 0, 0]))
        var hugeHeader = bytes
        hugeHeader[6] = 0xFF
        XCTAssertTrue(reason(hugeHeader).contains("the header claims"))
        // Found by fuzzing: a length with its top bit set (once read as negative), and a shape whose
        // element count overflows (once a trap).
        var topBit = bytes
        topBit[7] = 0xFF
        XCTAssertTrue(reason(topBit).contains("the header claims 1837468647967162"), reason(topBit))
        let header = Array(#"{"t":{"dtype":"F32","shape":[2147483647,2147483647,16],"data_offsets":[0,0]}}"#.utf8)
        let overflowing = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [UInt8](repeating: 0, count: 8)
        XCTAssertTrue(reason(overflowing).contains("tensor t has byte range [0, 0], which does not fit shape"), reason(overflowing))
        var notJSON = bytes
        notJSON[8] = UInt8(ascii: "[")
        XCTAssertTrue(reason(notJSON).contains("not a JSON object"))
        var other = try trainedBreastCancerModel().safeTensors()
        other.metadata["format"] = "something.else"
        XCTAssertTrue(reason(other.encoded()).contains("expected dltrain.model.v1"))
        other.metadata["format"] = ModelFile.format
        var unknownOptimizer = other
        unknownOptimizer.metadata["optimizer"] = #"{"name":"lion","arguments":{}}"#
        XCTAssertTrue(reason(unknownOptimizer.encoded()).hasPrefix("m.safetensors: not a valid dltrain model file: optimizer: "), reason(unknownOptimizer.encoded()))
        other.tensors.removeLast()
        XCTAssertTrue(reason(other.encoded()).contains("tensor dense_1/bias is missing"))
    }

    /// The Python `safetensors` package (installed by deploy/install-deps.sh --test) reads every
    /// tensor with the values, dtype and shape dltrain wrote, and the metadata as strings.
    func testPythonSafetensorsReadsEveryTensor() throws {
        let model = try trainedBreastCancerModel()
        let directory = try temporaryDirectory(self)
        let path = directory + "/model.safetensors"
        try model.write(to: path)
        let script = """
            import json, sys
            from safetensors import safe_open
            out = {"tensors": {}, "metadata": None}
            with safe_open(sys.argv[1], framework="numpy") as f:
                out["metadata"] = f.metadata()
                for name in f.keys():
                    t = f.get_tensor(name)
                    out["tensors"][name] = {"dtype": str(t.dtype), "shape": list(t.shape),
                                            "bits": [int(b) for b in t.reshape(-1).view("uint32")]}
            print(json.dumps(out))
            """
        let output = try Python.run(script, arguments: [path])
        let decoded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let tensors = try XCTUnwrap(decoded["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(tensors.count, 4)
        for tensor in model.safeTensors().tensors {
            let read = try XCTUnwrap(tensors[tensor.name], tensor.name)
            XCTAssertEqual(read["dtype"] as? String, "float32")
            XCTAssertEqual(read["shape"] as? [Int], tensor.shape)
            XCTAssertEqual(read["bits"] as? [UInt32], tensor.values.map(\.bitPattern), tensor.name)
        }
        let metadata = try XCTUnwrap(decoded["metadata"] as? [String: String])
        XCTAssertEqual(metadata["format"], ModelFile.format)
        XCTAssertEqual(metadata["loss"], "binary_crossentropy")
        XCTAssertNotNil(metadata["standardization"])
    }
}
