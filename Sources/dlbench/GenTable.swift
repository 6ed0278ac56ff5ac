// gen-table: a raw table as users bring them, for the preprocessing benchmark and the tests: a
// header, 8 numeric columns (floats with 1 to 6 decimals, whole numbers), 6 text categories (5,000,
// 2,000, 50, 12, 4 and 3 values; the two large ones drawn by Zipf's law, as real names are), a share
// of missing feature cells written in every default spelling (empty half of the time, else `NA`,
// `N/A`, `NaN`, `null` or `?`), and a 0/1 label that depends on the numbers and the categories.
// Every row is drawn from its own stream of the seed, so a table is the first rows of any longer one
// made with the same seed (Tests/Fixtures/mixed_types.csv is the first 2,000), and the label is
// computed from the values before their cells were blanked.

import ArgumentParser
import DLCore
import Foundation

struct GenTable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen-table",
        abstract: "Write a raw table: numeric and text columns with missing cells, a header, and a 0/1 label.")

    @Option(help: "Rows to write.") var rows: Int = 1_000_000
    @Option(help: "The share of feature cells left missing.") var missing: Double = 0.05
    @Option(help: "The generator's seed.") var seed: UInt64 = 2025
    @Option(help: "The CSV file to write.") var out: String

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
        guard (0..<1).contains(missing) else { throw ValidationError("--missing must be at least 0 and less than 1") }
    }

    func run() throws {
        let started = Clock.now()
        let table = TableRecipe(seed: seed)
        let writer = try CSVWriter(path: out)
        try writer.reserve(table.header.count + 1)
        writer.text(table.header)
        writer.byte(UInt8(ascii: "\n"))
        var positives = 0, blanks = 0
        var seen = table.categorical.map { Set<Int>(minimumCapacity: $0.names.count) }
        var values = [Double](repeating: 0, count: table.numeric.count)
        var standardized = values
        var indices = [Int](repeating: 0, count: table.categorical.count)
        var isMissing = [Bool](repeating: false, count: table.columns.count)
        var spellings = [Int](repeating: 0, count: table.columns.count)
        for row in 0..<rows {
            var draw = NormalSource(generator: SeededGenerator(seed: seed, stream: UInt64(row)))
            for (k, column) in table.numeric.enumerated() { (values[k], standardized[k]) = column.draw(&draw) }
            for (k, column) in table.categorical.enumerated() { indices[k] = column.draw(&draw.generator) }
            for k in isMissing.indices {
                isMissing[k] = draw.generator.nextUnitDouble() < missing
                spellings[k] = draw.generator.nextIndex(below: 2 * TableRecipe.missingSpellings.count)
            }
            let label = table.score(standardized, indices) + table.logisticNoise(&draw.generator) > 0

            try writer.reserve(512)
            for (position, column) in table.columns.enumerated() {
                if isMissing[position] {
                    blanks += 1
                    // Half the gaps are empty fields, the rest spelled NA, N/A, NaN, null or ?.
                    let spelling = spellings[position] - TableRecipe.missingSpellings.count
                    if spelling >= 0 { writer.text(TableRecipe.missingSpellings[spelling]) }
                } else {
                    switch column {
                    case .numeric(let k): table.numeric[k].write(values[k], to: writer)
                    case .categorical(let k):
                        writer.text(table.categorical[k].names[indices[k]])
                        seen[k].insert(indices[k])
                    }
                }
                writer.byte(UInt8(ascii: ","))
            }
            if label { positives += 1 }
            writer.byte(label ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            writer.byte(UInt8(ascii: "\n"))
        }
        try writer.close()
        let finished = Clock.now()
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        let cells = rows * table.columns.count
        let distinct = zip(table.categorical, seen).map { "\($0.name) \($1.count)/\($0.names.count)" }
        print("wrote \(out): \(rows) rows x \(table.numeric.count) numeric + \(table.categorical.count) text columns + "
            + "label, \(size) bytes, positives \(String(format: "%.4f", Double(positives) / Double(rows))), missing "
            + "cells \(String(format: "%.4f", Double(blanks) / Double(cells))), distinct values "
            + distinct.joined(separator: ", ") + ", \(String(format: "%.2f", finished - started)) s")
        Report.result([
            "case": "gen-table", "rows": rows, "numeric_columns": table.numeric.count,
            "categorical_columns": table.categorical.count, "seed": seed, "path": out, "file_bytes": size,
            "positive_fraction": Report.rounded(Double(positives) / Double(rows), 4),
            "missing_fraction": Report.rounded(Double(blanks) / Double(cells), 4),
            "distinct": Dictionary(uniqueKeysWithValues: zip(table.categorical.map(\.name), seen.map(\.count))),
            "seconds": Report.rounded(finished - started, 3),
        ])
    }
}
