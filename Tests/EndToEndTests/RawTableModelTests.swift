// dlmodel on a model dlcoord trained on a raw table (words, gaps, no preprocessing flags): the
// summary's JSON lists every column with its inferred type and what it becomes; evaluate on the raw
// validation rows gives fit's own val_ figures (the rows are read and preprocessed as training read
// them); predict takes raw rows with gaps and categories the model never saw (each unseen one is the
// out-of-vocabulary index, so two give the same output, and a gap the stored fill) and locates a
// word in a numeric column; the last checkpoint predicts as the model file does.

import DLTestSupport
import Foundation
import XCTest

final class RawTableModelTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")

    /// 96 rows: `id`, a number with gaps (`size`), words with `NA`s (`colour`), whole numbers
    /// (`count`) and a 0/1 label that depends on all three.
    private func table(rows: Int = 96) -> String {
        let colours = ["red", "green", "blue"]
        var lines = ["id,size,colour,count,label"]
        for row in 0..<rows {
            let size = row % 7 == 3 ? "" : String(format: "%.2f", Double((row * 37) % 100) / 10)
            let colour = row % 11 == 5 ? "NA" : colours[(row * 5) % 3]
            let count = (row * 13) % 9
            let label = ((row * 37) % 100 > 50) != (colour == "blue") || count > 6 ? 1 : 0
            lines.append("r\(row),\(size),\(colour),\(count),\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func trainedRun() throws -> (run: String, data: String) {
        let directory = try temporaryDirectory(self)
        let data = directory + "/raw.csv"
        try table().write(toFile: data, atomically: true, encoding: .utf8)
        let run = directory + "/run"
        let trained = try dlcoord.run([
            "--local", "--data", data, "--label-column", "label", "--features", "size,colour,count",
            "--layers", "8:relu,1:sigmoid", "--loss", "binary_crossentropy", "--validation-split", "0.25",
            "--epochs", "3", "--batch-size", "8", "--verbose", "0", "--run-dir", run,
        ])
        XCTAssertEqual(trained.status, 0, trained.errors)
        return (run, data)
    }

    func testSummaryEvaluateAndPredictOnRawRows() throws {
        let (run, data) = try trainedRun()

        let summary = try dlmodel.run(["summary", run, "--json"])
        XCTAssertEqual(summary.status, 0, summary.errors)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(summary.output.utf8)) as? [String: Any])
        let columns = try XCTUnwrap(record["columns"] as? [[String: Any]])
        XCTAssertEqual(columns.map { $0["name"] as? String }, ["size", "colour", "count"])
        XCTAssertEqual(columns.map { $0["type"] as? String }, ["float", "string_categorical", "float"])
        XCTAssertEqual(columns.map { $0["inferred"] as? Bool }, [true, true, true])
        let colour = columns[1]
        XCTAssertEqual(colour["inputs"] as? Int, 4)
        XCTAssertEqual(Set(try XCTUnwrap(colour["values"] as? [String])), ["[OOV]", "red", "green", "blue"])
        let fill = try XCTUnwrap(columns[0]["fill"] as? Double, "size has gaps: a fill")
        let features = try XCTUnwrap(record["features"] as? [String])
        XCTAssertEqual(features.count, 1 + 4 + 1)
        XCTAssertEqual((record["model"] as? [String: Any])?["input_dim"] as? Int, features.count)

        // The validation rows (the last quarter, as Keras splits), raw, give fit's last val_ figures.
        let rows = try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n")
        let validation = try temporaryDirectory(self) + "/validation.csv"
        try (([rows[0]] + rows.suffix(24)).joined(separator: "\n") + "\n").write(toFile: validation, atomically: true, encoding: .utf8)
        let evaluated = try dlmodel.run(["evaluate", run, "--data", validation, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let values = try JSONDecoder().decode([String: Double].self, from: Data(evaluated.output.utf8))
        let log = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let fit = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(log.last).utf8)) as? [String: Any])
        XCTAssertEqual(Set(values.keys), ["loss", "accuracy"])
        for (name, value) in values {
            XCTAssertEqual(value, try XCTUnwrap(fit["val_" + name] as? Double), accuracy: 1e-12, name)
        }

        // Raw rows: unseen categories, a gap, a missing-value text, and the fill written out.
        let raw = try temporaryDirectory(self) + "/new.csv"
        try """
            id,colour,count,size
            a,purple,4,2.5
            b,mauve,4,2.5
            c,red,4,
            d,red,4,\(Float(fill))
            e,NA,4,2.5
            f,"green",1,NA

            """.write(toFile: raw, atomically: true, encoding: .utf8)
        let predicted = try dlmodel.run(["predict", run, "--data", raw, "--keep-columns", "id"])
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        let lines = predicted.output.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(lines.first, ["id", "probability", "predicted"])
        let probability = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0[0], Double($0[1]) ?? .nan) })
        XCTAssertEqual(probability.count, 6)
        XCTAssertTrue(probability.values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(probability)")
        XCTAssertEqual(probability["a"], probability["b"], "two unseen colours are one out-of-vocabulary index")
        XCTAssertEqual(probability["a"], probability["e"], "a missing colour is the out-of-vocabulary index too")
        XCTAssertEqual(probability["c"], probability["d"], "a missing size is the fill")

        // A word in a numeric column is located, as training locates it.
        let bad = try temporaryDirectory(self) + "/bad.csv"
        try "id,colour,count,size\na,red,4,2.5\ng,red,4,big\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try dlmodel.run(["predict", run, "--data", bad])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.hasPrefix("dlmodel: error: \(bad):3: ") && refused.errors.contains("\"size\""), refused.errors)

        let checkpoint = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoint-") }.max())
        let fromCheckpoint = try dlmodel.run(["predict", run + "/" + checkpoint, "--data", raw, "--keep-columns", "id"])
        XCTAssertEqual(fromCheckpoint.status, 0, fromCheckpoint.errors)
        XCTAssertEqual(fromCheckpoint.output, predicted.output, "the last checkpoint holds the final weights and the same preprocessing")
    }
}
