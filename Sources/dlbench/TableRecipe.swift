// What gen-table draws: its columns in file order (numbers and categories interleaved, as real tables
// have them), how each is drawn and written, and the score the label comes from: a weighted sum of the
// numbers' standardized values, one product of two of them, and a fixed effect per category value
// (centred, so the classes are about even), plus logistic noise, so a model learns the label well but
// not perfectly.

import DLCore
import Foundation

/// A column of the table, in file order: its position in `TableRecipe.numeric` or `.categorical`.
enum TableColumn {
    case numeric(Int)
    case categorical(Int)
}

struct NumericColumn {
    let name: String
    /// Decimals written; 0 writes a whole number.
    let decimals: Int
    /// The value, and a standardized value the score uses.
    let draw: (inout NormalSource) -> (value: Double, standardized: Double)
    let weight: Double

    func write(_ value: Double, to writer: CSVWriter) {
        if decimals == 0 { writer.integer(Int(value)) } else { writer.fixed(value, decimals: decimals) }
    }
}

struct CategoricalColumn {
    let name: String
    let names: [[UInt8]]
    /// Cumulative probabilities, the last one 1.
    let cumulative: [Double]
    /// Each value's effect on the score, centred on the column's expected effect.
    let effects: [Double]

    /// `names` drawn with probabilities proportional to `weights`, effects uniform in ±`effect`.
    init(name: String, names: [String], weights: [Double], effect: Double, seed: UInt64, stream: UInt64) {
        self.name = name
        self.names = names.map { Array($0.utf8) }
        let total = weights.reduce(0, +)
        var running = 0.0
        var cumulative = weights.map { weight -> Double in
            running += weight / total
            return running
        }
        cumulative[cumulative.count - 1] = 1
        self.cumulative = cumulative
        var generator = SeededGenerator(seed: seed, stream: 0xEFFEC7, stream)
        let raw = names.map { _ in effect * (2 * generator.nextUnitDouble() - 1) }
        let expected = zip(raw, weights).map { $0 * $1 / total }.reduce(0, +)
        effects = raw.map { $0 - expected }
    }

    /// Zipf's law over `count` names: the k-th most common has weight 1 / k^exponent.
    static func zipf(_ count: Int, _ exponent: Double) -> [Double] {
        (1...count).map { 1 / Foundation.pow(Double($0), exponent) }
    }

    /// An index drawn by its probability (binary search of the cumulative probabilities).
    func draw(_ generator: inout SeededGenerator) -> Int {
        let u = generator.nextUnitDouble()
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > u { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

struct TableRecipe {
    let numeric: [NumericColumn]
    let categorical: [CategoricalColumn]
    let columns: [TableColumn]
    let header: [UInt8]

    /// The default spellings of a missing cell besides the empty field (dltrain's `--na-values`).
    static let missingSpellings: [[UInt8]] = ["NA", "N/A", "NaN", "null", "?"].map { Array($0.utf8) }

    init(seed: UInt64) {
        func padded(_ prefix: String, _ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let numeric = [
            NumericColumn(name: "age", decimals: 0, draw: { normal in
                let value = min(90, max(18, (42 + 15 * normal.next()).rounded()))
                return (value, (value - 42) / 15)
            }, weight: -0.4),
            NumericColumn(name: "income", decimals: 2, draw: { normal in
                let z = normal.next()
                return (Foundation.exp(10.6 + 0.6 * z), z)
            }, weight: 0.5),
            NumericColumn(name: "balance", decimals: 2, draw: { normal in
                let z = normal.next()
                return (200 + 1500 * z, z)
            }, weight: 0.5),
            NumericColumn(name: "score", decimals: 4, draw: { normal in
                let u = normal.generator.nextUnitDouble()
                return (u, (u - 0.5) * 12.0.squareRoot())
            }, weight: 0.8),
            NumericColumn(name: "tenure_months", decimals: 0, draw: { normal in
                let value = min(360, (-60 * Foundation.log(1 - normal.generator.nextUnitDouble())).rounded(.down))
                return (value, (value - 59.5) / 60)
            }, weight: -0.5),
            NumericColumn(name: "visits", decimals: 0, draw: { normal in
                let value = (-8 * Foundation.log(1 - normal.generator.nextUnitDouble())).rounded(.down)
                return (value, (value - 7.5) / 8)
            }, weight: 0.3),
            NumericColumn(name: "temperature", decimals: 1, draw: { normal in
                let z = normal.next()
                return (15 + 8 * z, z)
            }, weight: 0.1),
            NumericColumn(name: "ratio", decimals: 6, draw: { normal in
                let z = normal.next()
                return (0.01 * z, z)
            }, weight: 0.6),
        ]
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let categorical = [
            CategoricalColumn(name: "city", names: (1...5_000).map { padded("city_", $0, 4) },
                              weights: CategoricalColumn.zipf(5_000, 1.05), effect: 1.0, seed: seed, stream: 0),
            CategoricalColumn(name: "channel", names: ["web", "store", "phone", "partner"],
                              weights: [0.5, 0.3, 0.15, 0.05], effect: 0.6, seed: seed, stream: 1),
            CategoricalColumn(name: "product", names: (1...2_000).map { padded("SKU-", $0, 5) },
                              weights: CategoricalColumn.zipf(2_000, 0.9), effect: 0.8, seed: seed, stream: 2),
            CategoricalColumn(name: "month", names: months, weights: months.map { _ in 1 }, effect: 0.4, seed: seed,
                              stream: 3),
            CategoricalColumn(name: "region", names: (1...50).map { padded("region_", $0, 2) },
                              weights: (1...50).map { _ in 1 }, effect: 0.6, seed: seed, stream: 4),
            CategoricalColumn(name: "plan", names: ["basic", "plus", "premium"], weights: [0.6, 0.3, 0.1],
                              effect: 0.8, seed: seed, stream: 5),
        ]
        let columns: [TableColumn] = [
            .numeric(0), .categorical(0), .numeric(1), .categorical(1), .numeric(2), .categorical(2), .numeric(3),
            .categorical(3), .numeric(4), .categorical(4), .numeric(5), .categorical(5), .numeric(6), .numeric(7),
        ]
        let names = columns.map { column -> String in
            switch column {
            case .numeric(let k): return numeric[k].name
            case .categorical(let k): return categorical[k].name
            }
        }
        self.numeric = numeric
        self.categorical = categorical
        self.columns = columns
        header = Array((names + ["label"]).joined(separator: ",").utf8)
    }

    /// The label's score before noise, from the standardized numbers and the categories' indices.
    func score(_ standardized: [Double], _ indices: [Int]) -> Double {
        var total = 0.5 * standardized[0] * standardized[1]  // age x income
        for (k, column) in numeric.enumerated() { total += column.weight * standardized[k] }
        for (k, column) in categorical.enumerated() { total += column.effects[indices[k]] }
        return total
    }

    /// A standard logistic sample (the noise of logistic regression).
    func logisticNoise(_ generator: inout SeededGenerator) -> Double {
        let u = (Double(generator.next() >> 11) + 0.5) * 0x1p-53  // in (0, 1): both logarithms finite
        return Foundation.log(u / (1 - u))
    }
}
