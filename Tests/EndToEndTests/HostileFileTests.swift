// The hand-edited model files and checkpoints of the fuzz corpus (Tests/Fuzz; DLRunTests'
// HostileFileTests checks each one's typed error) given to the real commands: dlmodel and
// dlcoord --resume end with status 1 and an error that names the file, not with a signal.

import DLTestSupport
import Foundation
import XCTest

final class HostileFileTests: XCTestCase {
    let dlmodel = Executable(name: "dlmodel")
    let dlcoord = Executable(name: "dlcoord")
    let rows = Repository.root + "/Tests/Fuzz/data/rows.csv"

    func testDLModelRefusesEveryEditedModelNamingIt() throws {
        let models = [
            "crashes/model/standardization-17-means-1-scale", "crashes/model/dimensions-20000-by-2-to-the-50",
            "crashes/model/dimensions-30000-by-30000", "corpus/model/three-classes-for-one-unit",
            "corpus/model/overlapping-tensor-ranges", "corpus/model/scale-of-zero",
        ]
        for model in models {
            let path = "Tests/Fuzz/\(model).safetensors"
            let result = try dlmodel.run(["predict", path, "--data", rows])
            XCTAssertEqual(result.status, 1, model)
            XCTAssertTrue(result.errors.hasPrefix("dlmodel: error: \(path): not a valid dltrain model file: "), result.errors)
        }
    }

    func testResumingAnEditedCheckpointNamesIt() throws {
        let directory = try temporaryDirectory(self)
        let checkpoint = directory + "/checkpoint-0000000002.safetensors"
        try FileManager.default.copyItem(
            atPath: Repository.root + "/Tests/Fuzz/corpus/checkpoint/step-past-the-epoch.safetensors", toPath: checkpoint)
        let result = try dlcoord.run(["--resume", directory, "--data", rows])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: \(checkpoint): not a usable checkpoint: "), result.errors)
    }
}
