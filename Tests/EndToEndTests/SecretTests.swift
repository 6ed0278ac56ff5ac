// The job's secret with the real executables: workers holding it train over encrypted TCP to the
// same bytes as one process; a worker holding another secret is never admitted and the run goes
// on without it; an endpoint other machines reach is refused without a secret, with the command
// that makes one, unless --insecure says so (with a warning); a secret file others can read is
// refused, as ssh refuses such a key.

import DLTestSupport
import Foundation
import XCTest

final class SecretTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    /// Bound on every interface, so the secret is required; the ring's peer sockets are secured too.
    /// The model's 21,721 parameters make two chunks, the first of the largest size a peer socket
    /// accepts, so the size limits must count what encryption adds to each message.
    func testWorkersHoldingTheSecretTrainEncryptedToTheLocalBytes() throws {
        let port = try freePort(), secret = try secretFile(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "3", "--shards", "4", "--layers", "40:relu,500:relu,1:sigmoid"]
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", "tcp://*:\(port)", "--secret-file", secret, "--verbose", "2", "--run-dir", directory]
                + flags)
        XCTAssertTrue(coordinator.waitForError(containing: "only workers holding the job's secret are admitted", timeout: 30),
            coordinator.errorsSoFar)
        let workers = try (1...2).map {
            try dlworker.start(["--connect", "tcp://127.0.0.1:\(port)", "--secret-file", secret, "--name", "w\($0)"])
        }
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }

    func testAWorkerWithAnotherSecretIsNeverAdmitted() throws {
        let port = try freePort(), secret = try secretFile(), directory = try temporaryDirectory(self)
        let otherSecret = try secretFile("the secret of some other job, equally long")
        let flags = ["--epochs", "20", "--shards", "2"]
        let coordinator = try dlcoord.start(
            ["--workers", "1", "--bind", "tcp://127.0.0.1:\(port)", "--secret-file", secret, "--verbose", "2",
             "--run-dir", directory] + flags)
        let stranger = try dlworker.start(
            ["--connect", "tcp://127.0.0.1:\(port)", "--secret-file", otherSecret, "--name", "stranger", "--reconnect-timeout", "3"])
        let strangerResult = stranger.wait(timeout: 60)
        XCTAssertEqual(strangerResult.status, 1, strangerResult.errors)
        XCTAssertTrue(strangerResult.errors.contains("no coordinator answered"), strangerResult.errors)
        let worker = try dlworker.start(["--connect", "tcp://127.0.0.1:\(port)", "--secret-file", secret, "--name", "member"])
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("joined: member"), result.errors)
        XCTAssertFalse(result.errors.contains("stranger"), "the stranger never registered: \(result.errors)")
        XCTAssertEqual(worker.wait(timeout: 30).status, 0)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }

    func testAnEndpointOtherMachinesReachNeedsASecretOrInsecure() throws {
        let port = try freePort()
        let refused = try dlcoord.run(["--workers", "1", "--bind", "tcp://*:\(port)", "--wait-timeout", "1"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.hasPrefix("dlcoord: error: tcp://*:\(port) is reachable from other machines"), refused.errors)
        XCTAssertTrue(refused.errors.contains("Make a secret with: (umask 077; head -c 32 /dev/urandom | base64 > ~/.dltrain-secret)"))
        let worker = try dlworker.run(["--connect", "tcp://10.0.0.1:\(port)", "--reconnect-timeout", "1"])
        XCTAssertEqual(worker.status, 1)
        XCTAssertTrue(worker.errors.contains("reachable from other machines"), worker.errors)

        let insecure = try dlcoord.run(["--workers", "1", "--bind", "tcp://*:\(port)", "--wait-timeout", "1", "--insecure"])
        XCTAssertEqual(insecure.status, 1, "it started, then waited for a worker in vain")
        XCTAssertTrue(insecure.errors.contains("--insecure: tcp://*:\(port) admits anyone who reaches it"), insecure.errors)
        XCTAssertTrue(insecure.errors.contains("listening on tcp://"), insecure.errors)
    }

    func testASecretFileOthersCanReadIsRefused() throws {
        let secret = try secretFile()
        XCTAssertEqual(chmod(secret, 0o644), 0)
        let result = try dlcoord.run(["--workers", "1", "--bind", "tcp://*:\(try freePort())", "--secret-file", secret])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.errors, "dlcoord: error: the secret file \(secret) can be read by others (mode 644); make it private with: chmod 600 \(secret)\n")
    }
}
