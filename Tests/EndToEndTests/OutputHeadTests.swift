// dlcoord on labels its output layer cannot represent, as a new user meets them: refused before
// training with the flags that fit, in one process and across workers; `auto` choosing the output
// layer and the loss, printed at the start and stored in the model; a layer without an activation
// being linear; and a run that diverges on NaN data naming the cell. Each runs from a folder of
// its own, not the checkout.

import DLRun
import DLTestSupport
import Foundation
import XCTest

final class OutputHeadTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    /// A CSV of `rows` rows: two features, and a label made from them by `label`.
    private func table(_ rows: Int, header: String = "a,b,label", label: (Int, Double, Double) -> String) throws -> String {
        let directory = try temporaryDirectory(self)
        let lines = (0..<rows).map { row -> String in
            let a = Double(row % 7) - 3, b = Double((row * 5) % 11) / 4
            return "\(a),\(b),\(label(row, a, b))"
        }
        let path = directory + "/data.csv"
        try Data(([header] + lines).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func train(_ arguments: [String], in directory: String) throws -> Executable.Result {
        let result = try dlcoord.run(["--verbose", "2", "--epochs", "2"] + arguments, in: directory)
        XCTAssertFalse(result.timedOut)
        return result
    }

    /// Ten text classes and a price, on the seed job's head: refused before training, in one process
    /// and across workers, with the flags that fit, and nothing written.
    func testALabelTheDefaultHeadCannotRepresentIsRefusedWithTheFlagsThatFit() throws {
        let animals = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "owl", "yak"]
        let classes = try table(60) { row, _, _ in animals[row % 10] }
        let prices = try table(60) { _, a, b in String(250_000 + a * 1000 + b) }
        let directory = (classes as NSString).deletingLastPathComponent
        for (data, advice) in [
            (classes, "--layers 30:relu,10:softmax --loss sparse_categorical_crossentropy"),
            (prices, "--layers 30:relu,1:linear --loss mse --metrics mae"),
        ] {
            for mode in [["--local"], ["--workers", "2", "--spawn"]] {
                let run = directory + "/refused-\(mode.count)"
                let result = try train(mode + ["--data", data, "--run-dir", run], in: directory)
                XCTAssertEqual(result.status, 1, result.output)
                XCTAssertTrue(result.errors.contains(advice), "\(mode) \(data): \(result.errors)")
                XCTAssertFalse(result.output.contains("Epoch 1/"), "refused before training")
                XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/model.safetensors"))
            }
        }
    }

    /// `auto` chooses a softmax over the classes and its loss, says so in the first lines, stores
    /// them in the model, gives workers the same model as one process, and resumes.
    func testAutoChoosesPrintsAndStoresTheHead() throws {
        let data = try table(90) { _, a, b in a + b < -1 ? "low" : a + b < 1.5 ? "mid" : "high" }
        let directory = (data as NSString).deletingLastPathComponent
        let job = ["--data", data, "--layers", "8:relu,auto", "--loss", "auto", "--shards", "2"]
        let local = try train(["--local", "--run-dir", directory + "/local"] + job, in: directory)
        XCTAssertEqual(local.status, 0, local.errors)
        let chosen = "Output: auto chose 3:softmax and sparse_categorical_crossentropy for \"label\""
        XCTAssertTrue(local.output.contains(chosen), local.output)
        let model = try ModelFile.read(path: directory + "/local/model.safetensors")
        XCTAssertEqual(model.model.layers.last?.units, 3)
        XCTAssertEqual(model.model.layers.last?.activation, .softmax)
        XCTAssertEqual(model.loss, .sparseCategoricalCrossentropy)
        XCTAssertEqual(model.labels.classes, ["high", "low", "mid"])

        let distributed = try train(["--workers", "2", "--spawn", "--run-dir", directory + "/workers"] + job, in: directory)
        XCTAssertEqual(distributed.status, 0, distributed.errors)
        XCTAssertTrue(distributed.output.contains(chosen), distributed.output)
        XCTAssertEqual(try self.model(in: directory + "/workers"), try self.model(in: directory + "/local"))

        let resumed = try dlcoord.run(
            ["--verbose", "2", "--epochs", "3", "--resume", directory + "/local"] + job + ["--local"], in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Epoch 3/3"), resumed.output)
    }

    /// A quantity under `auto`: one linear unit and mean squared error, reported with mae.
    func testAutoOnAQuantityIsARegressionReportedWithMAE() throws {
        let data = try table(40) { _, a, b in String(3 * a - b + 100) }
        let directory = (data as NSString).deletingLastPathComponent
        let result = try train(["--local", "--data", data, "--layers", "8:relu,auto", "--loss", "auto", "--run-dir", directory + "/run"], in: directory)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("auto chose 1:linear and mean_squared_error"), result.output)
        XCTAssertTrue(result.output.contains(" - mae: "), result.output)
        let model = try ModelFile.read(path: directory + "/run/model.safetensors")
        XCTAssertEqual(model.metrics, ["mae"])
        XCTAssertEqual(model.model.layers.last?.activation, .linear)
    }

    /// Keras's Dense(1) is linear: `--layers 32:relu,1` is a regression head.
    func testALayerWithoutAnActivationIsLinear() throws {
        let data = try table(40) { _, a, b in String(2 * a + b) }
        let directory = (data as NSString).deletingLastPathComponent
        let result = try train(
            ["--local", "--data", data, "--layers", "32:relu,1", "--loss", "mse", "--metrics", "mae", "--run-dir", directory + "/run"],
            in: directory)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try ModelFile.read(path: directory + "/run/model.safetensors").model.layers.last?.activation, .linear)
    }

    /// NaN let in by --allow-non-finite: a run that diverges on it names the cell instead of the
    /// learning rate, and --standardize (which would spread it over its whole column) refuses the
    /// column before training, in one process and across workers alike.
    func testNaNInTheDataIsNamedWhereItIs() throws {
        let data = try table(30) { row, _, _ in String(row % 2) }
        var lines = try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n").map(String.init)
        let line = 12
        lines[line - 1] = lines[line - 1].split(separator: ",").enumerated().map { $0.offset == 1 ? "nan" : String($0.element) }
            .joined(separator: ",")
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: data))
        let directory = (data as NSString).deletingLastPathComponent
        for (flags, expected) in [
            ([String](), "data.csv:\(line): column 1 (\"b\"): nan"),
            (["--standardize"], "data.csv: column 1 (\"b\"): --standardize cannot fit a column that holds NaN or infinite values, "
                + "which --allow-non-finite let in (the first: line \(line), nan)"),
        ] {
            for mode in [["--local"], ["--workers", "2", "--spawn"]] {
                let run = directory + "/run-\(mode.count)-\(flags.count)"
                let result = try train(mode + flags + ["--data", data, "--allow-non-finite", "--run-dir", run], in: directory)
                XCTAssertEqual(result.status, 1, result.output)
                XCTAssertTrue(result.errors.contains(expected), "\(mode) \(flags): \(result.errors)")
                XCTAssertFalse(result.errors.contains("learning rate"), result.errors)
            }
        }
    }
}
