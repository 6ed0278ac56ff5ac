// --reduce-lr-on-plateau with the real executables: workers spawned by the coordinator train with
// the rates it decides and write the same model file as `--local` with the same shards, byte for
// byte, with the same learning_rate in metrics.jsonl; a mistake in the option is a usage error
// naming the flag, before any data is read (a monitor the epochs lack, before training).

import DLTestSupport
import Foundation
import XCTest

final class PlateauRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    func testWorkersWriteTheLocalModelWhenThePlateauFires() throws {
        let flags = [
            "--data", "dataset/breast_cancer.csv", "--label-column", "diagnosis", "--layers", "16:relu,1:sigmoid",
            "--loss", "binary_crossentropy", "--standardize", "--validation-split", "0.2", "--epochs", "5", "--shards", "2",
            "--reduce-lr-on-plateau", "monitor=val_loss,factor=0.5,patience=1,min_delta=10",
        ]
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--workers", "2", "--spawn", "--verbose", "0", "--run-dir", directory] + flags)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
        let rates = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["learning_rate"] as? Double
        }
        // Foundation's JSON reader may round the last of 17 digits: the float32 rates must agree.
        let rate = Float(0.001)
        XCTAssertEqual(rates.map { $0.map(Float.init) }, [rate, rate, rate / 2, rate / 4, rate / 8])
    }

    func testAMistakeNamesTheFlag() throws {
        for (value, says) in [("factor=1", "below 1"), ("paitence=2", "did you mean patience")] {
            let result = try dlcoord.run(["--local", "--reduce-lr-on-plateau", value, "--validation-split", "0.2"])
            XCTAssertEqual(result.status, 64, value)
            XCTAssertTrue(result.errors.contains("--reduce-lr-on-plateau"), result.errors)
            XCTAssertTrue(result.errors.contains(says), result.errors)
        }
        // A monitor the epochs do not report is known once the job is built: refused before training.
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--local", "--run-dir", directory, "--reduce-lr-on-plateau", "monitor=val_auc", "--validation-split", "0.2"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("reduce_lr_on_plateau") && result.errors.contains("val_auc"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/metrics.jsonl"))
    }
}
