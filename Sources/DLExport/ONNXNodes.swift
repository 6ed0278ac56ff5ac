// The ONNX messages an export is made of, built from plain values: nodes with their attributes,
// initializers (float32, int64 and string tensors) and the typed inputs and outputs of a graph.

import Foundation
import ONNXFormat

extension ONNXExport {
    /// An element type of a graph's input, output or initializer.
    enum Element {
        case float, int64, string

        var dataType: Int32 {
            switch self {
            case .float: Int32(Onnx_TensorProto.DataType.float.rawValue)
            case .int64: Int32(Onnx_TensorProto.DataType.int64.rawValue)
            case .string: Int32(Onnx_TensorProto.DataType.string.rawValue)
            }
        }
    }

    static func node(
        _ op: String, inputs: [String], output: String, domain: String = "", attributes: [Onnx_AttributeProto] = []
    ) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.domain = domain
        node.name = output
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        return node
    }

    static func floatAttribute(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    static func intAttribute(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = value
        return attribute
    }

    static func intsAttribute(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values
        return attribute
    }

    static func stringsAttribute(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .strings
        attribute.strings = values.map { Data($0.utf8) }
        return attribute
    }

    /// A float32 initializer, its values little-endian in raw_data.
    static func tensor(_ name: String, shape: [Int], values: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Element.float.dataType
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        return tensor
    }

    /// An int64 initializer, its values little-endian in raw_data.
    static func tensor(_ name: String, shape: [Int], values: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Element.int64.dataType
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = Data(values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        return tensor
    }

    /// A matrix of `width` columns and any number of rows.
    static func tensorInfo(_ name: String, width: Int, element: Element = .float) -> Onnx_ValueInfoProto {
        var rows = Onnx_TensorShapeProto.Dimension()
        rows.dimParam = "batch"
        var columns = Onnx_TensorShapeProto.Dimension()
        columns.dimValue = Int64(width)
        var type = Onnx_TypeProto.Tensor()
        type.elemType = element.dataType
        type.shape.dim = [rows, columns]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = type
        return info
    }
}
