// Activation functions by their Keras names, forward and backward side by side.
//
// Both work on a whole batch: `rows` rows of `width` values, row-major. The backward pass turns the
// gradient with respect to the activation's output (dA) into the gradient with respect to its input
// (dZ), reading the saved pre-activations Z and activations A of the forward pass.

import CKernels

public enum Activation: String, Sendable, Codable, CaseIterable {
    case linear
    case relu
    case sigmoid
    case tanh
    case softmax
    case leakyRelu = "leaky_relu"
    case elu

    /// Keras's default negative slope for `leaky_relu`.
    public static let leakyReluSlope: Float = 0.2

    public init(name: String) throws(ModelSpecError) {
        guard let activation = Activation(rawValue: name.lowercased()) else {
            throw .unknownActivation(name, known: Activation.allCases.map(\.rawValue))
        }
        self = activation
    }

    /// A = f(Z).
    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let count = rows * width
        switch self {
        case .linear:
            a.update(from: z, count: count)
        case .relu:
            for i in 0..<count { a[i] = z[i] > 0 ? z[i] : 0 }
        case .sigmoid:
            for i in 0..<count { a[i] = ElementaryFunctions.sigmoid(z[i]) }
        case .tanh:
            for i in 0..<count { a[i] = ElementaryFunctions.tanh(z[i]) }
        case .leakyRelu:
            for i in 0..<count { a[i] = z[i] > 0 ? z[i] : z[i] * Activation.leakyReluSlope }
        case .elu:
            for i in 0..<count { a[i] = z[i] > 0 ? z[i] : Float(ElementaryFunctions.expDouble(Double(z[i])) - 1) }
        case .softmax:
            for row in 0..<rows {
                let zRow = z + row * width
                let aRow = a + row * width
                var largest = zRow[0]
                for j in 1..<width where zRow[j] > largest { largest = zRow[j] }
                var sum = 0.0
                for j in 0..<width {
                    let e = ElementaryFunctions.expDouble(Double(zRow[j] - largest))
                    aRow[j] = Float(e)
                    sum += e
                }
                for j in 0..<width { aRow[j] = Float(Double(aRow[j]) / sum) }
            }
        }
    }

    /// dZ = dA * f'(Z), or the softmax Jacobian-vector product. `dZ` may alias `dA`.
    public func backward(
        z: UnsafePointer<Float>, a: UnsafePointer<Float>, dA: UnsafePointer<Float>,
        dZ: UnsafeMutablePointer<Float>, rows: Int, width: Int
    ) {
        let count = rows * width
        switch self {
        case .linear:
            if UnsafePointer(dZ) != dA { dZ.update(from: dA, count: count) }
        case .relu:
            dl_relu_backward(z, dA, dZ, count)
        case .sigmoid:
            for i in 0..<count { dZ[i] = dA[i] * a[i] * (1 - a[i]) }
        case .tanh:
            for i in 0..<count { dZ[i] = dA[i] * (1 - a[i] * a[i]) }
        case .leakyRelu:
            for i in 0..<count { dZ[i] = z[i] > 0 ? dA[i] : dA[i] * Activation.leakyReluSlope }
        case .elu:
            for i in 0..<count { dZ[i] = z[i] > 0 ? dA[i] : dA[i] * (a[i] + 1) }
        case .softmax:
            for row in 0..<rows {
                let offset = row * width
                var dot: Float = 0
                for j in 0..<width { dot += dA[offset + j] * a[offset + j] }
                for j in 0..<width { dZ[offset + j] = a[offset + j] * (dA[offset + j] - dot) }
            }
        }
    }
}
