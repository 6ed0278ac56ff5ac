// dlmodel predict --keep-columns, as users run it from a directory other than the checkout: an
// identifier column left out of training is carried into the predictions, before them, with the
// text the file has (quoted where CSV needs it), chosen by name, index or range as --features
// takes them; the output reads back through Python's csv module to the file's own cells.

import DLTestSupport
import Foundation
import XCTest

final class KeepColumnsTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")

    func testIdentifierColumnsAreCarriedIntoThePredictions() throws {
        let directory = try temporaryDirectory(self)
        var text = "id,name,a,b,label\n"
        var expected: [[String]] = []
        for row in 0..<30 {
            let id = String(format: "P%03d", row)
            let name = ["Smith, J", "O\"Brien", "  padded  ", "Ølund", "7", ""][row % 6]
            let quotedName = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let a = Double(row) / 10, b = Double(row % 4)
            text += "\(id),\(quotedName),\(a),\(b),\(row % 2)\n"
            expected.append([id, name, String(b)])
        }
        let data = directory + "/people.csv"
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        let trained = try dlcoord.run(
            ["--local", "--data", data, "--features", "a,b", "--epochs", "2", "--verbose", "0", "--run-dir", directory + "/run"],
            in: directory)
        XCTAssertEqual(trained.status, 0, trained.errors)

        let plain = try dlmodel.run(["predict", directory + "/run", "--data", data], in: directory)
        XCTAssertEqual(plain.status, 0, plain.errors)
        let output = directory + "/predictions.csv"
        let kept = try dlmodel.run(
            ["predict", directory + "/run", "--data", data, "--keep-columns", "id,1,3", "--output", output], in: directory)
        XCTAssertEqual(kept.status, 0, kept.errors)
        let written = try String(contentsOfFile: output, encoding: .utf8)
        let lines = written.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "id,name,b,probability,predicted")
        XCTAssertEqual(lines[1], "P000,\"Smith, J\",0.0," + plain.output.split(separator: "\n")[1])
        XCTAssertTrue(lines[2].hasPrefix("P001,\"O\"\"Brien\",1.0,"), String(lines[2]))

        // Python's csv module reads back the file's own cells, then the same predictions.
        let rows = try Python.run(
            "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", arguments: [output])
        let parsed = try JSONDecoder().decode([[String]].self, from: Data(rows.utf8))
        let predictions = plain.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(parsed.count, 31)
        for (row, fields) in parsed.dropFirst().enumerated() {
            XCTAssertEqual(Array(fields.prefix(3)), expected[row])
            XCTAssertEqual(Array(fields.dropFirst(3)), predictions[row])
        }

        // A range, as --features takes it; a column that is not there is an error naming the file.
        let range = try dlmodel.run(["predict", directory + "/run", "--data", data, "--keep-columns", "0-1"], in: directory)
        XCTAssertEqual(range.output.split(separator: "\n").first, "id,name,probability,predicted")
        let missing = try dlmodel.run(["predict", directory + "/run", "--data", data, "--keep-columns", "patient"], in: directory)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.errors.hasPrefix("dlmodel: error: \(data): no column named \"patient\""), missing.errors)
        let help = try dlmodel.run(["predict", "--help"], in: directory)
        XCTAssertTrue(help.output.contains("--keep-columns"), help.output)
    }
}
