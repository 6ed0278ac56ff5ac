// The errors a model description can have: the one error type of the math core.

public enum ModelSpecError: Error, Equatable, CustomStringConvertible {
    /// An activation name that is not one of Keras's that dltrain implements.
    case unknownActivation(String, known: [String])
    /// An initializer name that is not one of Keras's that dltrain implements.
    case unknownInitializer(String, known: [String])
    /// A loss name or alias that is not one of Keras's that dltrain implements.
    case unknownLoss(String, known: [String])
    /// An optimizer name that is not one of Keras's that dltrain implements.
    case unknownOptimizer(String, known: [String])
    /// A metric name that dltrain does not compute.
    case unknownMetric(String, known: [String])
    /// A layer list entry that is not `UNITS` or `UNITS:ACTIVATION` with a positive unit count.
    case badLayer(String)
    /// A layer with more units than dltrain allows.
    case tooManyUnits(String, maximum: Int)
    /// A model with more input columns than dltrain allows.
    case tooManyInputs(Int, maximum: Int)
    /// A model with more parameters than dltrain allows: the count (nil when it overflows an Int).
    case tooManyParameters(Int?, maximum: Int)
    /// `auto` somewhere other than the last layer of the list.
    case autoNotLast(String)
    /// The model has no layers, or no inputs.
    case emptyModel
    /// A loss that cannot train this output layer, such as categorical cross-entropy on one unit.
    case lossDoesNotFitOutput(loss: String, outputs: Int, reason: String)
    /// A metric that cannot be computed for this output layer, such as AUC on a softmax output.
    case metricDoesNotFitOutput(metric: String, outputs: Int, reason: String)
    /// An optimizer argument outside its valid range, such as a negative learning rate.
    case badOptimizerArgument(name: String, value: Double, reason: String)

    public var description: String {
        switch self {
        case let .unknownActivation(name, known):
            return "unknown activation \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownInitializer(name, known):
            return "unknown initializer \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownLoss(name, known):
            return "unknown loss \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownOptimizer(name, known):
            return "unknown optimizer \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownMetric(name, known):
            return "unknown metric \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .badLayer(text):
            return "bad layer \"\(text)\": expected UNITS:ACTIVATION or UNITS (a linear layer, as Keras's Dense(UNITS)) "
                + "with UNITS > 0, for example 30:relu; or auto as the last layer, to choose it from the label"
        case let .tooManyUnits(text, maximum):
            return "layer \"\(text)\" has more units than the \(maximum) a layer may have"
        case let .tooManyInputs(count, maximum):
            return "the model has \(count) inputs, more than the \(maximum) a model may have"
        case let .tooManyParameters(count, maximum):
            return "the model has \(count.map(String.init) ?? "more than \(Int.max)") parameters, more than the \(maximum) "
                + "(\(maximum / (1 << 28)) GiB of float32) a model may have; use fewer or narrower layers"
        case let .autoNotLast(text):
            return "\"\(text)\": auto stands only for the last (output) layer, which it chooses from the label"
        case .emptyModel:
            return "the model needs at least one input column and one layer"
        case let .lossDoesNotFitOutput(loss, outputs, reason):
            return "loss \(loss) does not fit an output layer of \(outputs) unit(s): \(reason)"
        case let .metricDoesNotFitOutput(metric, outputs, reason):
            return "metric \(metric) does not fit an output layer of \(outputs) unit(s): \(reason)"
        case let .badOptimizerArgument(name, value, reason):
            return "optimizer argument \(name)=\(value) is invalid: \(reason)"
        }
    }
}
