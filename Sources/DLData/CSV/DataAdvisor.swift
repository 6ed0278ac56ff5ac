// Decides what advice an error in a CSV file gets (DataAdvice), from what the file shows: the
// first records split evenly at another delimiter; the bad cell marks a missing value or is a
// number written with a decimal comma. Advice names the exact --features value that leaves
// a column out where the features are the user's to choose (training); for a trained model's
// features (dlmodel) it says what to do with the rows instead.

struct DataAdvisor: Sendable {
    /// Another delimiter the file's first records split at evenly, into more fields than at the one given.
    let likelyDelimiter: UInt8?
    /// The feature columns when the user chooses them (--features), in their order; nil for a trained model's.
    let features: [Int]?

    /// `error` with advice attached when the file shows its likely cause; other errors unchanged.
    func advise(_ error: Error) -> Error {
        guard let error = error as? DataError else { return error }
        if case .advised = error { return error }
        if let likelyDelimiter, error.isAboutContent { return DataError.advised(error, .delimiter(likelyDelimiter)) }
        switch error {
        case let .notANumber(_, _, column, _, found), let .nonFinite(_, _, column, _, found):
            if Self.marksMissingValue(found) {
                return DataError.advised(error, .missingValue(found: found, features: features.flatMap { leavingOut([column], of: $0) }))
            }
            if Self.hasDecimalComma(found) { return DataError.advised(error, .decimalComma(found: found)) }
            return error
        case let .preprocessing(.badCell(_, _, _, _, found, _, _)):
            return Self.hasDecimalComma(found) ? DataError.advised(error, .decimalComma(found: found)) : error
        case .emptyLabel:
            return DataError.advised(error, .missingLabel(found: ""))
        case let .mixedLabelColumn(_, _, _, _, found, _):
            if Self.marksMissingValue(found) { return DataError.advised(error, .missingLabel(found: found)) }
            if Self.hasDecimalComma(found) { return DataError.advised(error, .decimalComma(found: found)) }
            return error
        default:
            return error
        }
    }

    /// The --features value for `features` without `columns`: indices, with runs of consecutive
    /// ones as ranges, in the features' order; nil when nothing is left.
    func leavingOut(_ columns: [Int], of features: [Int]) -> String? {
        let kept = features.filter { !columns.contains($0) }
        guard !kept.isEmpty else { return nil }
        var runs: [(low: Int, high: Int)] = []
        for column in kept {
            if let last = runs.last, column == last.high + 1 {
                runs[runs.count - 1].high = column
            } else {
                runs.append((column, column))
            }
        }
        return runs.map { $0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)" }.joined(separator: ",")
    }

    /// Text that spreadsheets, R, pandas and UCI data sets write for a missing value.
    static func marksMissingValue(_ text: String) -> Bool {
        let trimmed = text.lowercased()
        return ["", "?", "-", "na", "n/a", "#n/a", "nan", "null", "none", "missing"].contains(trimmed)
    }

    /// Digits, one comma and digits, with an optional sign: `3,14`, `-0,5`.
    static func hasDecimalComma(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    /// The delimiter, among the usual ones, that splits the first records (at `starts` in `head`)
    /// evenly into at least two fields and into more than `current` does, if one does.
    static func likelyDelimiter(head: UnsafeBufferPointer<UInt8>, starts: [Int], current: UInt8) -> UInt8? {
        guard !starts.isEmpty else { return nil }
        func fieldCounts(_ delimiter: UInt8) -> [Int] {
            let tokenizer = CSVTokenizer(bytes: head, delimiter: delimiter)
            return starts.map { tokenizer.scanRecord(at: $0, end: head.count).count }
        }
        let given = fieldCounts(current)
        let givenIsEven = given.allSatisfy { $0 == given[0] }
        for candidate in [";", "\t", "|", ","].map({ UInt8(ascii: $0) }) where candidate != current {
            let counts = fieldCounts(candidate)
            guard counts[0] >= 2, counts.allSatisfy({ $0 == counts[0] }) else { continue }
            if givenIsEven && given[0] >= counts[0] { continue }
            return candidate
        }
        return nil
    }
}

extension DataError {
    /// Whether the error is about what the file holds (and so may come from reading it with the
    /// wrong delimiter), rather than about reaching the file or the job's settings.
    var isAboutContent: Bool {
        switch self {
        case .notANumber, .wrongFieldCount, .nonFinite, .textAfterClosingQuote, .unknownColumn, .columnOutOfRange,
            .mixedLabelColumn, .emptyLabel, .labelOutOfRange, .unknownClass, .headDoesNotFitLabel, .labelsDoNotFitOutputs,
            .columnIsFeatureAndLabel, .sampleWeightColumnReused, .badSampleWeight, .noFeatureColumns, .preprocessing:
            return true
        default:
            return false
        }
    }
}
