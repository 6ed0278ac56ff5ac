// The fuzz corpus and every input that ever crashed a reader (Tests/Fuzz), replayed through the
// readers by dlfuzz built normally: each is read, accepted or refused with an error, and none
// crashes. Tests/Fuzz/run.sh is what grows the corpus and finds new crashes.

import DLTestSupport
import Foundation
import XCTest

final class FuzzCorpusTests: XCTestCase {
    let dlfuzz = Executable(name: "dlfuzz")

    func testEveryCorpusAndCrashInputIsReadWithoutACrash() throws {
        for target in ["csv", "message", "checkpoint", "model", "job"] {
            let directories = ["corpus", "crashes"].map { Repository.root + "/Tests/Fuzz/\($0)/\(target)" }
                .filter { FileManager.default.fileExists(atPath: $0) }
            let inputs = try directories.reduce(0) { $0 + (try FileManager.default.contentsOfDirectory(atPath: $1).count) }
            XCTAssertGreaterThan(inputs, 0, "\(target) has a corpus")
            let result = try dlfuzz.run([target] + directories)
            XCTAssertEqual(result.status, 0, "\(target): \(result.errors)")
            XCTAssertTrue(result.output.contains("dlfuzz \(target): read \(inputs) input(s) without a crash"), result.output)
        }
    }

    /// The message target's structure-aware mutations of its corpus (MessageMutator, the fuzzing
    /// build's custom mutator), a few of each, through the worker and coordinator sessions.
    func testMutatedMessagesAreReceivedWithoutACrash() throws {
        let directories = ["corpus", "crashes"].map { Repository.root + "/Tests/Fuzz/\($0)/message" }
        let result = try dlfuzz.run(["message", "--mutations", "8"] + directories)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("mutation(s) without a crash"), result.output)
    }

    func testAnUnknownTargetIsRefusedWithTheList() throws {
        let result = try dlfuzz.run(["xml"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.errors.contains("usage: dlfuzz csv|message|checkpoint|model|job"), result.errors)
    }
}
