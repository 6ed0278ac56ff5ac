// What --checkpoint-every promises, with the real executable from a folder that is not the
// checkout: every checkpoint on disk is one the flag takes (every N epochs, or the last), none of
// a skipped epoch is half there, and the last epoch's is always the newest on disk when dlcoord
// exits. (Which of the others are written depends on the disk's speed; DLRunTests.CheckpointTests
// holds the writer back to check that the newest waiting one is the one written.)

import DLRun
import DLTestSupport
import Foundation
import XCTest

final class CheckpointEveryTests: XCTestCase {
    func testTheLastEpochsCheckpointIsAlwaysOnDisk() throws {
        let folder = try temporaryDirectory(self)
        let steps = 47  // the seed job's steps per epoch
        for (every, epochs) in [(1, 30), (7, 30)] {
            let run = "every-\(every)"
            let result = try Executable(name: "dlcoord").run(
                ["--local", "--epochs", "\(epochs)", "--checkpoint-every", "\(every)", "--keep", "1000", "--verbose", "0",
                 "--data", Repository.dataset("ThoraricSurgery.csv"), "--run-dir", run], in: folder)
            XCTAssertEqual(result.status, 0, result.errors)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/" + run)
            XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(names)")
            let taken = Set((1...epochs).filter { $0 % every == 0 || $0 == epochs }.map { $0 * steps })
            let written = Checkpointer.paths(in: folder + "/" + run)
            let applied = try written.map { try Checkpoint.read(path: $0).optimizer.iterations }
            XCTAssertEqual(applied.first, epochs * steps, "--checkpoint-every \(every): the last epoch's is the newest")
            XCTAssertTrue(Set(applied).isSubset(of: taken), "--checkpoint-every \(every): \(applied)")
        }
    }
}
