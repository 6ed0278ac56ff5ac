// The errors a model description can have (MemoryBudget's MemoryShortage says what does not fit
// in memory).

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
    /// A layer's option (`64:relu:l2=0.001`) that is unknown, repeated or has a bad value.
    case badLayerOption(String, reason: String)
    /// A `dropout:RATE` item with a bad rate or in a place a Dropout layer cannot be.
    case badDropout(String, reason: String)
    /// A regularizer text that is not `l1:V`, `l2:V` or `l1_l2:l1=V,l2=V` with factors of at least 0.
    case badRegularizer(String, reason: String)
    /// An initializer that needs a matrix (identity, orthogonal) given for a bias.
    case initializerNeedsMatrix(String)
    /// A layer with more units than dltrain allows.
    case tooManyUnits(String, maximum: Int)
    /// A model with more inputs (feature columns) than a layer may have.
    case tooManyInputs(Int, maximum: Int)
    /// A model with more parameters than dltrain trains (nil: more than can be counted).
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
            let meant = EditDistance.nearest(to: name.lowercased(), among: known).map { "; did you mean \($0)?" } ?? ""
            return "unknown initializer \"\(name)\"; known: \(known.joined(separator: ", "))\(meant)"
        case let .unknownLoss(name, known):
            return "unknown loss \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownOptimizer(name, known):
            return "unknown optimizer \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownMetric(name, known):
            return "unknown metric \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .badLayer(text):
            return "bad layer \"\(text)\": expected UNITS:ACTIVATION or UNITS (a linear layer, as Keras's Dense(UNITS)) "
                + "with UNITS > 0, for example 30:relu, optionally followed by :OPTION=V (l1, l2, bias_l1, bias_l2, "
                + "kernel_initializer, bias_initializer), for example 64:relu:l2=0.001; dropout:RATE for a Dropout layer; "
                + "or auto as the last layer, to choose it from the label"
        case let .badLayerOption(item, reason):
            return "bad layer \"\(item)\": \(reason)"
        case let .badDropout(item, reason):
            return "bad dropout \"\(item)\": \(reason)"
        case let .badRegularizer(text, reason):
            return "bad regularizer \"\(text)\": \(reason)"
        case let .initializerNeedsMatrix(name):
            return "the \(name) initializer fills a matrix (a kernel), not a bias, as in Keras; choose another for the bias, "
                + "such as zeros"
        case let .tooManyUnits(text, maximum):
            // What such a layer needs from a single input (a kernel column and a bias), at the least.
            let size = Int(text.prefix { $0.isNumber }).map { " (at least \(MemoryBudget.format(MemoryNeed.bytes($0, of: 8))) of float32)" }
            return "layer \"\(text)\" has more units than the \(maximum) a layer may have\(size ?? "")"
        case let .tooManyInputs(count, maximum):
            return "the model has \(count) inputs (feature columns), more than the \(maximum) a layer may have; "
                + "choose the feature columns with --features"
        case let .tooManyParameters(count, maximum):
            let size = count.map { " (\(MemoryBudget.format(MemoryNeed.bytes($0, of: 4))) of float32 for each copy)" } ?? ""
            return "the model has \(count.map { "\($0)" } ?? "more than 2^63") parameters\(size), more than the \(maximum) "
                + "dltrain trains; use fewer or narrower layers (--layers) or fewer feature columns (--features)"
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
