// A preprocessing's expansion of codes into the model's inputs, planned once: the runs of inputs
// each code makes, in Keras FeatureSpace's concat order (features by name, then crosses by name,
// then dltrain's missing indicators in feature order). A shard runner keeps one and expands a
// step's rows as it gathers them, so the step allocates nothing.

public struct PreprocessingExpansion: Sendable {
    public let codeWidth: Int
    public let outputWidth: Int
    private let segments: [OutputSegment]

    public init(_ preprocessing: Preprocessing) {
        codeWidth = preprocessing.codeWidth
        outputWidth = preprocessing.outputWidth
        segments = Self.segments(of: preprocessing)
    }

    /// Expands `rows` rows of codes into the model's inputs, `outputWidth` per row, writing every
    /// input. Codes are checked: a holder that got them from outside (a message) has validated
    /// them with `Preprocessing.codeProblem` first.
    public func expand(codes: UnsafeBufferPointer<Float>, rows: Int, into inputs: UnsafeMutableBufferPointer<Float>) {
        let width = codeWidth, outputs = outputWidth
        precondition(codes.count >= rows * width && inputs.count >= rows * outputs, "expand: buffers smaller than the rows")
        for row in 0..<rows {
            let code = row * width
            let output = row * outputs
            for segment in segments {
                let x = codes[code + segment.position]
                let at = output + segment.offset
                switch segment.operation {
                case .value:
                    inputs[at] = x.isNaN ? segment.fill : x
                case .normalized(let mean, let divisor):
                    inputs[at] = ((x.isNaN ? segment.fill : x) - mean) / divisor
                case .rescaled(let scale, let offset):
                    inputs[at] = (x.isNaN ? segment.fill : x) * scale + offset
                case .binned(let bins):
                    let bin = bins.bin(x.isNaN ? segment.fill : x)
                    segment.write(bin, at: at, into: inputs)
                case .index:
                    // A code outside the indices (which codeProblem finds first) writes no 1 rather than trapping.
                    if segment.oneHot {
                        segment.write(x >= 0 && x < Float(segment.width) ? Int(x) : -1, at: at, into: inputs)
                    } else {
                        inputs[at] = x
                    }
                case .indicator:
                    inputs[at] = x.isNaN ? 1 : 0
                }
            }
        }
    }

    private static func segments(of preprocessing: Preprocessing) -> [OutputSegment] {
        var segments: [OutputSegment] = []
        var offset = 0
        func add(_ position: Int, _ width: Int, _ fill: Float, _ operation: OutputSegment.Operation, oneHot: Bool = false) {
            segments.append(OutputSegment(position: position, offset: offset, width: width, oneHot: oneHot, fill: fill, operation: operation))
            offset += width
        }
        for c in preprocessing.featureOrder {
            let column = preprocessing.columns[c]
            let fill = column.fill ?? 0
            switch column.type.kind {
            case .float:
                add(c, 1, fill, .value)
            case .floatNormalized:
                add(c, 1, fill, .normalized(mean: column.mean ?? 0, divisor: max((column.variance ?? 1).squareRoot(), Float(1e-7))))
            case .floatRescaled:
                add(c, 1, fill, .rescaled(scale: Float(column.type.scale ?? 1), offset: Float(column.type.offset ?? 0)))
            case .floatDiscretized:
                add(c, column.outputWidth, fill, .binned(Bins(column)), oneHot: column.type.mode == .oneHot)
            default:
                add(c, column.outputWidth, 0, .index, oneHot: column.type.mode == .oneHot)
            }
        }
        for x in preprocessing.crossOrder {
            let cross = preprocessing.crosses[x].cross
            add(preprocessing.columns.count + x, cross.outputMode == .oneHot ? cross.crossingDim : 1, 0, .index, oneHot: cross.outputMode == .oneHot)
        }
        for (c, column) in preprocessing.columns.enumerated() where column.indicator {
            add(c, 1, 0, .indicator)
        }
        return segments
    }
}


/// A run of model inputs made from one code.
private struct OutputSegment: Sendable {
    enum Operation: Sendable {
        case value
        case normalized(mean: Float, divisor: Float)
        case rescaled(scale: Float, offset: Float)
        case binned(Bins)
        case index
        case indicator
    }

    let position: Int
    let offset: Int
    /// One-hot: the number of indices; otherwise 1 (the index itself as a float).
    let width: Int
    let oneHot: Bool
    let fill: Float
    let operation: Operation

    func write(_ index: Int, at: Int, into inputs: UnsafeMutableBufferPointer<Float>) {
        guard oneHot else {
            inputs[at] = Float(index)
            return
        }
        UnsafeMutableBufferPointer(rebasing: inputs[at..<(at + width)]).update(repeating: 0)
        if index >= 0 { inputs[at + index] = 1 }
    }
}
