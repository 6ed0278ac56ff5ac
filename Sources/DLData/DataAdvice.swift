// What to do about an error in the data, when the file shows its likely cause: a delimiter other
// than the one given, numbers written with a decimal comma, missing values (in a trained model's
// numeric features, or in labels). DataAdvisor decides; this says it, naming the flag to use.

public enum DataAdvice: Sendable, Equatable, CustomStringConvertible {
    /// The first records split evenly into more fields at this byte than at the delimiter given.
    case delimiter(UInt8)
    /// A number written with a comma for its decimal point (or thousands separator), `found`.
    case decimalComma(found: String)
    /// A feature cell that marks a missing value (`found`: empty, NA, ?, ...); `features` is the
    /// --features value that leaves its column out (nil where the features are not the user's to
    /// choose: a trained model's, or when none would be left).
    case missingValue(found: String, features: String?)
    /// A label cell that marks a missing value.
    case missingLabel(found: String)

    public var description: String {
        switch self {
        case .delimiter(let byte):
            let flag = byte == UInt8(ascii: "\t") ? "tab" : "'\(Character(Unicode.Scalar(byte)))'"
            let name = byte == UInt8(ascii: "\t") ? "tabs" : "'\(Character(Unicode.Scalar(byte)))'"
            return "the records look separated by \(name), not by the delimiter given: read them with --delimiter \(flag)"
        case .decimalComma(let found):
            return "\"\(found)\" is written with a comma, and dltrain reads numbers with a decimal point and no "
                + "thousands separator: convert the file's numbers first (in a file separated by ';' or tabs, "
                + "sed 's/,/./g' turns every comma into a point)"
        case .missingValue(let found, let features):
            let what = found.isEmpty ? "an empty field" : "\"\(found)\""
            let fill = "\(what) marks a missing value, which dltrain does not fill in: remove or fill in the rows with "
                + "missing values first (pandas: dropna() or fillna())"
            guard let features else { return fill }
            return fill + ", or leave the column out with --features \(features)"
        case .missingLabel(let found):
            let what = found.isEmpty ? "an empty field" : "\"\(found)\""
            return "\(what) marks a missing label: remove the rows without a label first (pandas: dropna())"
        }
    }
}
