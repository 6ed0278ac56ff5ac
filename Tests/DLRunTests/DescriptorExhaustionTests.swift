// A process whose descriptors are all taken still writes its checkpoints: from the descriptors it
// held back (DLCore.DescriptorReserve), or, with none held back, once one is freed; an open that no
// descriptor ever reaches gives up after its patience with EMFILE. The tests take every descriptor
// this process may open, under a soft limit lowered for the test and restored after it.

@testable import DLCore
import DLData
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class DescriptorExhaustionTests: XCTestCase {
    /// Runs `body` with every descriptor taken (the soft limit lowered to a few above those open, and
    /// those few opened on /dev/null), and hands it the ones taken; restores everything after.
    private func withEveryDescriptorTaken(_ body: ([Int32]) throws -> Void) throws {
        var limit = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        let saved = limit
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        limit.rlim_cur = rlim_t(open + 32)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        var taken: [Int32] = []
        defer {
            for descriptor in taken { close(descriptor) }
            var restored = saved
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &restored)
            DescriptorReserve.hold()
        }
        while taken.count < 64 {
            let descriptor = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { break }
            taken.append(descriptor)
        }
        XCTAssertEqual(Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC), -1, "every descriptor is taken")
        XCTAssertEqual(errno, EMFILE)
        try body(taken)
    }

    private func checkpoint() throws -> Checkpoint {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 1
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        return Checkpoint(job: job, progress: trainer.progress)
    }

    func testACheckpointIsWrittenFromTheDescriptorsHeldBack() throws {
        let checkpoint = try checkpoint(), path = try temporaryDirectory(self) + "/checkpoint.safetensors"
        DescriptorReserve.hold()
        XCTAssertEqual(DescriptorReserve.count, DescriptorReserve.size)
        try withEveryDescriptorTaken { _ in
            try checkpoint.write(to: path)
        }
        XCTAssertEqual(try Checkpoint.read(path: path), checkpoint)
    }

    func testACheckpointWaitsForADescriptorToBeFreed() throws {
        let checkpoint = try checkpoint(), path = try temporaryDirectory(self) + "/checkpoint.safetensors"
        _ = DescriptorReserve.release()
        try withEveryDescriptorTaken { taken in
            let freed = DispatchSemaphore(value: 0)
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
                close(taken[0])
                freed.signal()
            }
            try checkpoint.write(to: path)
            freed.wait()
        }
        XCTAssertEqual(try Checkpoint.read(path: path), checkpoint)
    }

    func testAnOpenThatNoDescriptorReachesGivesUpAfterItsPatience() throws {
        _ = DescriptorReserve.release()
        try withEveryDescriptorTaken { _ in
            var attempts = 0
            let descriptor = DescriptorReserve.opening(patience: .milliseconds(200)) {
                attempts += 1
                return Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
            }
            XCTAssertEqual(descriptor, -1)
            XCTAssertEqual(errno, EMFILE)
            XCTAssertGreaterThan(attempts, 2, "tried again while it waited")
        }
    }
}
