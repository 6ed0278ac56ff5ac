// One shard's rows as they arrive from the coordinator, in pieces in file order: each row is
// written straight into place in the tables the shard's runner then trains on, so a worker holds
// its rows once. Every place must come exactly once; a piece that does not fit is refused whole.
// In a job with a preprocessing the rows arrive, and stay, as its codes, each piece checked as it
// comes (the shard's runner expands them a batch at a time).

import DLData
import DLPreprocessing
import DLProtocol

struct ShardLoad {
    private(set) var training: TabularRows
    private(set) var validation: TabularRows
    private var trainingSeen: [Bool]
    private var validationSeen: [Bool]
    private var missing: Int

    /// The job's preprocessing, whose codes the rows arrive as; nil when they are the features.
    private let preprocessing: Preprocessing?

    /// `rowWidth`: the values per row as the rows arrive (the features, or the preprocessing's codes).
    init(trainingRows: Int, validationRows: Int, rowWidth: Int, targetWidth: Int, preprocessing: Preprocessing?) {
        self.preprocessing = preprocessing
        training = TabularRows(zeroRows: trainingRows, featureCount: rowWidth, targetWidth: targetWidth)
        validation = TabularRows(zeroRows: validationRows, featureCount: rowWidth, targetWidth: targetWidth)
        trainingSeen = [Bool](repeating: false, count: trainingRows)
        validationSeen = [Bool](repeating: false, count: validationRows)
        missing = trainingRows + validationRows
    }

    var isComplete: Bool { missing == 0 }

    /// Stores a piece of the shard's rows; the reason it does not fit, if it does not.
    mutating func take(_ rows: ShardRows) -> String? {
        guard rows.featureCount == training.featureCount, rows.targetWidth == training.targetWidth else {
            return "rows of \(rows.featureCount) features and \(rows.targetWidth) targets for a job of "
                + "\(training.featureCount) and \(training.targetWidth)"
        }
        if let preprocessing, let problem = rows.features.withUnsafeBufferPointer({ preprocessing.codeProblem($0) }) {
            return "row \(rows.places[problem.row]): code \(problem.position): \(problem.problem)"
        }
        switch rows.part {
        case .training:
            if let reason = Self.mark(rows.places, in: &trainingSeen) { return "training \(reason)" }
            training.place(features: rows.features, targets: rows.targets, at: rows.places)
        case .validation:
            if let reason = Self.mark(rows.places, in: &validationSeen) { return "validation \(reason)" }
            validation.place(features: rows.features, targets: rows.targets, at: rows.places)
        }
        missing -= rows.places.count
        return nil
    }

    /// Applies the job's standardization to every row, in place, once all have arrived.
    mutating func standardize(_ standardization: Standardization) {
        precondition(isComplete)
        standardization.apply(to: &training)
        standardization.apply(to: &validation)
    }

    /// Marks `places` as filled, or (changing nothing) says why they cannot be.
    private static func mark(_ places: [UInt32], in seen: inout [Bool]) -> String? {
        for (index, place) in places.enumerated() {
            guard Int(place) < seen.count, !seen[Int(place)] else {
                for marked in places[..<index] { seen[Int(marked)] = false }
                return Int(place) < seen.count ? "row \(place) sent twice" : "row \(place) outside the shard's \(seen.count)"
            }
            seen[Int(place)] = true
        }
        return nil
    }
}
