// `--reduce-lr-on-plateau` / the job file's `reduce_lr_on_plateau`: `ARG=VALUE,...` with Keras's
// ReduceLROnPlateau argument names (monitor, factor, patience, mode, min_delta, cooldown, min_lr),
// Keras's defaults for those not given, or `defaults` for all of them. Each value is checked where it
// enters, so none can trap or make a rate that is not a finite float32 above 0; the monitor is
// checked against the epoch's values when the job is built (TrainingJob).

import DLCore

extension ReduceLROnPlateau.Rule {
    /// The argument names, in Keras's order.
    public static let argumentNames = ["monitor", "factor", "patience", "mode", "min_delta", "cooldown", "min_lr"]
    /// The most epochs `patience` and `cooldown` may count (as early stopping's patience).
    public static let maximumEpochs = Int(Int32.max)

    /// A mistake in the text, with what to write instead.
    public enum TextError: Error, Equatable, CustomStringConvertible {
        /// Nothing, or an item that is not ARG=VALUE.
        case malformed(item: String)
        case unknownArgument(String, meant: String?)
        case repeated(String)
        case badValue(argument: String, value: String, reason: String)

        public var description: String {
            switch self {
            case let .malformed(item):
                return "\"\(item)\" is not ARG=VALUE; write e.g. factor=0.5,patience=3 (Keras's arguments "
                    + "\(ReduceLROnPlateau.Rule.argumentNames.joined(separator: ", "))), or defaults for Keras's defaults"
            case let .unknownArgument(name, meant):
                return "ReduceLROnPlateau has no argument \(name)"
                    + (meant.map { "; did you mean \($0)?" } ?? "; its arguments are "
                        + ReduceLROnPlateau.Rule.argumentNames.joined(separator: ", "))
            case let .repeated(name):
                return "\(name) is given twice; give it once"
            case let .badValue(argument, value, reason):
                return "\(argument)=\(value): \(reason)"
            }
        }
    }

    /// The rule `text` states.
    public init(parsing text: String) throws(TextError) {
        let trimmed = text[...].trimmingCharacters(in: " \t")
        guard trimmed != "defaults" else {
            self.init()
            return
        }
        var given: [String: String] = [:]
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: " \t") }) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw .malformed(item: item) }
            let name = parts[0].trimmingCharacters(in: " \t").lowercased(), value = parts[1].trimmingCharacters(in: " \t")
            guard Self.argumentNames.contains(name) else {
                throw .unknownArgument(name, meant: EditDistance.nearest(to: name, among: Self.argumentNames))
            }
            guard given.updateValue(value, forKey: name) == nil else { throw .repeated(name) }
        }
        let defaults = Self()
        let monitor = given["monitor"] ?? defaults.monitor
        guard !monitor.isEmpty else { throw .badValue(argument: "monitor", value: monitor, reason: "name a value each epoch reports, such as val_loss") }
        let factor = try Self.number(given, "factor", defaults.factor)
        guard factor > 0, factor < 1 else {
            throw .badValue(
                argument: "factor", value: given["factor"] ?? "",
                reason: "it must be above 0 and below 1 (the rate is multiplied by it; Keras refuses 1 or more)")
        }
        let minDelta = try Self.number(given, "min_delta", defaults.minDelta)
        let minLR = try Self.number(given, "min_lr", defaults.minLR)
        guard minLR >= 0 else {
            throw .badValue(argument: "min_lr", value: given["min_lr"] ?? "", reason: "it must be 0 or more (the lowest rate)")
        }
        var mode = defaults.mode
        if let text = given["mode"] {
            guard let known = Mode(rawValue: text.lowercased()) else {
                throw .badValue(argument: "mode", value: text, reason: "it must be auto, min or max")
            }
            mode = known
        }
        self.init(
            monitor: monitor, factor: factor, patience: try Self.epochs(given, "patience", defaults.patience), mode: mode,
            minDelta: minDelta, cooldown: try Self.epochs(given, "cooldown", defaults.cooldown), minLR: minLR)
    }

    /// The rule as the flag writes it, every argument named (for the log and errors).
    public var text: String {
        "monitor=\(monitor),factor=\(factor),patience=\(patience),mode=\(mode.rawValue),min_delta=\(minDelta),"
            + "cooldown=\(cooldown),min_lr=\(minLR)"
    }

    /// A number that stays finite in float32, as training uses it.
    private static func number(_ given: [String: String], _ name: String, _ fallback: Double) throws(TextError) -> Double {
        guard let text = given[name] else { return fallback }
        guard let value = Double(text), value.isFinite, Float(value).isFinite else {
            throw .badValue(argument: name, value: text, reason: "it must be a finite number")
        }
        return value
    }

    private static func epochs(_ given: [String: String], _ name: String, _ fallback: Int) throws(TextError) -> Int {
        guard let text = given[name] else { return fallback }
        guard let value = Int(text), (0...maximumEpochs).contains(value) else {
            throw .badValue(argument: name, value: text, reason: "it must be a whole number of epochs from 0 to \(maximumEpochs)")
        }
        return value
    }
}
