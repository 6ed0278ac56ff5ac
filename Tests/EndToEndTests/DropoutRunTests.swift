// Dropout with real processes: `--layers dropout:RATE,...` trained by spawned workers gives the
// model file of `--local` with the same --shards byte for byte, and a run trained for some epochs in
// one process and resumed on two workers gives the file of the local run that went through; the
// same job without Dropout ends elsewhere (the rates are applied).

import DLTestSupport
import Foundation
import XCTest

final class DropoutRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let flags = ["--layers", "dropout:0.1,30:relu,dropout:0.3,1:sigmoid", "--validation-split", "0.2", "--shards", "2"]

    func testSpawnedWorkersGiveTheLocalModelByteForByte() throws {
        let directory = try temporaryDirectory(self)
        let epochs = ["--epochs", "10"]
        let result = try dlcoord.run(["--workers", "2", "--spawn", "--verbose", "0", "--run-dir", directory] + flags + epochs)
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, result.errors)
        let local = try localModel(flags + epochs)
        XCTAssertEqual(try model(in: directory), local)
        XCTAssertNotEqual(local, try localModel(["--validation-split", "0.2", "--shards", "2", "--epochs", "10"]))
    }

    func testALocalRunResumedOnWorkersGivesTheModelOfTheRunThatWentThrough() throws {
        let directory = try temporaryDirectory(self)
        let first = try dlcoord.run(["--local", "--verbose", "0", "--run-dir", directory, "--epochs", "3"] + flags)
        XCTAssertEqual(first.status, 0, first.errors)
        let resumed = try dlcoord.run(["--workers", "2", "--spawn", "--resume", directory, "--verbose", "0", "--epochs", "6"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertEqual(try model(in: directory), try localModel(flags + ["--epochs", "6"]))
    }
}
