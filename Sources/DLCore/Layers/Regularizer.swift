// A weight penalty as Keras's `kernel_regularizer` / `bias_regularizer` states it: l1 * sum(|w|) +
// l2 * sum(w^2), added to the loss (Keras's `l1`, `l2` and `l1_l2` are this with one or both terms),
// and its text as a flag or a job file writes it: `l1:V`, `l2:V`, `l1_l2:l1=V,l2=V`.

public struct Regularizer: Sendable, Equatable, Codable {
    public var l1: Float
    public var l2: Float

    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    /// Keras's factor for `l1` or `l2` written without one (regularizers.L1(), L2()).
    public static let defaultFactor: Float = 0.01

    /// The names a regularizer text starts with.
    public static let names = ["l1", "l2", "l1_l2"]

    /// Parses `l1`, `l1:V`, `l2`, `l2:V` or `l1_l2:l1=V,l2=V` (a missing one of l1_l2's factors is
    /// 0, as Keras's L1L2 has it).
    public static func parse(_ text: String) throws(ModelSpecError) -> Regularizer {
        let trimmed = Substring(text).trimmingSpaces
        let head = trimmed.prefix { $0 != ":" }
        let name = head.lowercased()
        let argument = trimmed.dropFirst(head.count + 1)
        let hasArgument = trimmed.count > head.count
        switch name {
        case "l1", "l2":
            let factor = hasArgument ? try Self.factor(String(argument), of: text, name: name) : defaultFactor
            return name == "l1" ? Regularizer(l1: factor) : Regularizer(l2: factor)
        case "l1_l2":
            var factors: [String: Float] = [:]
            for pair in argument.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = parts[0].trimmingSpaces.lowercased()
                guard parts.count == 2, key == "l1" || key == "l2" else {
                    throw .badRegularizer(text, reason: "l1_l2 takes l1=V and l2=V, for example l1_l2:l1=0.0001,l2=0.001")
                }
                guard factors[key] == nil else { throw .badRegularizer(text, reason: "\(key) is given twice") }
                factors[key] = try Self.factor(String(parts[1]), of: text, name: key)
            }
            guard hasArgument, !factors.isEmpty else {
                throw .badRegularizer(text, reason: "l1_l2 takes l1=V and l2=V, for example l1_l2:l1=0.0001,l2=0.001")
            }
            return Regularizer(l1: factors["l1"] ?? 0, l2: factors["l2"] ?? 0)
        default:
            let meant = EditDistance.nearest(to: name, among: names).map { "; did you mean \($0)?" } ?? ""
            throw .badRegularizer(text, reason: "known: l1:V, l2:V, l1_l2:l1=V,l2=V\(meant)")
        }
    }

    /// A factor: a finite number of at least 0 (Keras's validate_float_arg), finite in float32.
    static func factor(_ text: String, of whole: String, name: String) throws(ModelSpecError) -> Float {
        guard let value = Double(Substring(text).trimmingSpaces), value.isFinite, value >= 0, Float(value).isFinite else {
            throw .badRegularizer(whole, reason: "\(name) must be a finite number of at least 0, such as 0.001")
        }
        return Float(value)
    }

    /// The text a flag takes for it: `l1:V`, `l2:V` or `l1_l2:l1=V,l2=V`.
    public var text: String {
        switch (l1 != 0, l2 != 0) {
        case (true, true): "l1_l2:l1=\(l1),l2=\(l2)"
        case (true, false): "l1:\(l1)"
        default: "l2:\(l2)"
        }
    }
}
