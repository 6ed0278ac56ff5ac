// `dlmodel export --format onnx`: a trained model as an ONNX graph (opset 17) that takes raw
// feature values: one `features` matrix, or for a preprocessed model one input per source column
// and the preprocessing in front (ONNXPreprocessing). The stored standardization is an explicit Sub
// and Div at the front, each layer
// a Gemm followed by its activation's operator, and the feature columns, label columns and classes
// travel in the model's metadata_props so a consumer can line up its columns. The message types
// are generated from onnx.proto (Sources/ONNXFormat, deploy/generate-formats.sh).

import DLCore
import DLPreprocessing
import DLRun
import Foundation
import ONNXFormat
import SwiftProtobuf

public enum ONNXExport {
    /// The opset the graph declares: every operator used is unchanged from 13 to the newest.
    public static let opsetVersion: Int64 = 17
    /// ONNX's IR version for opset 17.
    static let irVersion: Int64 = 8
    public static let inputName = "features"
    public static let outputName = "output"

    /// The ONNX file's bytes.
    public static func encoded(_ model: ModelFile) throws -> [UInt8] {
        try self.model(model).serializedBytes()
    }

    /// The whole ONNX model. Throws for a preprocessing ONNX's operators cannot compute.
    public static func model(_ file: ModelFile) throws(ExportError) -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = "dltrain"
        graph.output = [tensorInfo(outputName, width: file.model.outputWidth)]

        var current = inputName
        if let preprocessing = file.preprocessing {
            let inputs = try front(preprocessing)
            graph.input = inputs.inputs
            graph.initializer = inputs.initializers
            graph.node = inputs.nodes
            current = inputs.output
        } else {
            graph.input = [tensorInfo(inputName, width: file.model.inputDim)]
        }
        if let standardization = file.standardization {
            graph.initializer += [
                tensor("standardization/mean", shape: [file.model.inputDim], values: standardization.mean),
                tensor("standardization/scale", shape: [file.model.inputDim], values: standardization.scale),
            ]
            graph.node += [
                node("Sub", inputs: [current, "standardization/mean"], output: "standardization/centered"),
                node("Div", inputs: ["standardization/centered", "standardization/scale"], output: "standardization/output"),
            ]
            current = "standardization/output"
        }

        let layout = file.model.layout
        for (index, layer) in file.model.layers.enumerated() {
            let name = ModelFile.layerName(index), shape = layout.shapes[index]
            let isLast = index == file.model.layers.count - 1
            graph.initializer += [
                tensor("\(name)/kernel", shape: [shape.inputs, shape.units], values: Array(file.parameters[layout.kernelRange(index)])),
                tensor("\(name)/bias", shape: [shape.units], values: Array(file.parameters[layout.biasRange(index)])),
            ]
            let output = isLast ? outputName : "\(name)/output"
            let product = layer.activation == .linear ? output : "\(name)/logits"
            graph.node.append(node("Gemm", inputs: [current, "\(name)/kernel", "\(name)/bias"], output: product))
            if let activation = activationNode(layer.activation, input: product, output: output) {
                graph.node.append(activation)
            }
            current = output
        }

        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = "dltrain"
        model.producerVersion = DLTrainVersion.current
        model.docString = file.preprocessing == nil
            ? "Trained by dltrain; input: raw values of the feature columns, in metadata_props' order."
            : "Trained by dltrain; inputs: one per source column, its raw values (NaN for a missing number)."
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        if file.preprocessing != nil {
            var ml = Onnx_OperatorSetIdProto()
            ml.domain = mlDomain
            ml.version = mlOpsetVersion
            model.opsetImport.append(ml)
        }
        if let preprocessing = file.preprocessing {
            // A column named as a tensor of the graph would be that tensor.
            let inner = Set(graph.node.flatMap(\.output) + graph.initializer.map(\.name))
            var seen = Set<String>()
            for column in preprocessing.columns where inner.contains(column.name) || !seen.insert(column.name).inserted {
                throw .nameClash(column: column.name, format: "ONNX")
            }
        }
        model.graph = graph
        model.metadataProps = metadata(file).map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return model
    }

    /// The columns and classes a consumer needs to feed the graph and read its output, as JSON.
    static func metadata(_ file: ModelFile) -> [(String, String)] {
        func json(_ value: some Encodable) -> String {
            String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
        }
        var entries = [("features", json(file.features)), ("label_columns", json(file.labels.columns))]
        if let classes = file.labels.classes { entries.append(("classes", json(classes))) }
        if let preprocessing = file.preprocessing {
            // The graph's inputs: the source columns, each with its type.
            entries.append(("columns", json(preprocessing.columns.map { ["name": $0.name, "type": $0.type.kind.rawValue] })))
        }
        entries.append(("loss", file.loss.rawValue))
        return entries
    }

    private static func activationNode(_ activation: Activation, input: String, output: String) -> Onnx_NodeProto? {
        switch activation {
        case .linear: return nil
        case .relu: return node("Relu", inputs: [input], output: output)
        case .sigmoid: return node("Sigmoid", inputs: [input], output: output)
        case .tanh: return node("Tanh", inputs: [input], output: output)
        // Softmax over the last axis, its default from opset 13 on.
        case .softmax: return node("Softmax", inputs: [input], output: output)
        case .leakyRelu:
            return node("LeakyRelu", inputs: [input], output: output, attributes: [floatAttribute("alpha", Activation.leakyReluSlope)])
        case .elu: return node("Elu", inputs: [input], output: output, attributes: [floatAttribute("alpha", 1)])
        }
    }
}
