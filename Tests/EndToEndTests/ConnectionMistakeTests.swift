// A new user's connection mistakes with the real executables, each told apart and explained within
// seconds instead of a minute of silence: an endpoint without tcp:// (a usage error with the
// corrected value), a worker late for a coordinator that already finished (nothing listens), a
// worker of another secret (handshake refused, on both sides), a port where something that is not
// dltrain listens; a peer port taken from a range; and a worker stopped with Ctrl-C, whose goodbye
// the coordinator acknowledges, or which says it could not be when the coordinator does not answer.

import DLTestSupport
import Foundation
import XCTest

final class ConnectionMistakeTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    func testAnEndpointWithoutTCPIsAUsageErrorWithTheCorrectedValue() throws {
        let port = try freePort()
        let worker = try dlworker.run(["--connect", "127.0.0.1:\(port)"], timeout: 30)
        XCTAssertEqual(worker.status, 64, worker.errors)
        XCTAssertTrue(worker.errors.contains("--connect"), worker.errors)
        XCTAssertTrue(worker.errors.contains("did you mean tcp://127.0.0.1:\(port)?"), worker.errors)
        let coordinator = try dlcoord.run(["--workers", "1", "--bind", "\(port)"], timeout: 30)
        XCTAssertEqual(coordinator.status, 64, coordinator.errors)
        XCTAssertTrue(coordinator.errors.contains("did you mean tcp://*:\(port)?"), coordinator.errors)
        let range = try dlworker.run(["--connect", "tcp://127.0.0.1:\(port)", "--peer-bind", "tcp://*:6000-5000"], timeout: 30)
        XCTAssertEqual(range.status, 64, range.errors)
        XCTAssertTrue(range.errors.contains("--peer-bind"), range.errors)
    }

    /// The coordinator ran and finished; a worker that comes later finds nothing listening, says so
    /// while it waits, and gives up naming the address, the port and the secret file.
    func testAWorkerLateForAFinishedCoordinatorSaysNothingListens() throws {
        let port = try freePort(), directory = try temporaryDirectory(self)
        let coordinator = try dlcoord.start(
            ["--workers", "1", "--bind", "tcp://127.0.0.1:\(port)", "--epochs", "2", "--verbose", "0", "--run-dir", directory])
        let first = try dlworker.run(["--connect", "tcp://127.0.0.1:\(port)", "--name", "first"], timeout: 60)
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertEqual(coordinator.wait(timeout: 60).status, 0)

        let late = try dlworker.run(["--connect", "tcp://127.0.0.1:\(port)", "--name", "late", "--reconnect-timeout", "6"], timeout: 30)
        XCTAssertEqual(late.status, 1, late.errors)
        let lines = late.errors.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains(" notice ") && $0.contains("waiting for the coordinator at tcp://127.0.0.1:\(port)") },
            "it says what it waits for while it waits: \(late.errors)")
        let last = String(lines.last ?? "")
        XCTAssertTrue(last.hasPrefix("dlworker: error: no coordinator answered at tcp://127.0.0.1:\(port)"), last)
        // On loopback without --secret-file the worker holds this user's local secret, and names its file.
        for part in ["127.0.0.1 port \(port)", "connection refused", "has already finished", "/.dltrain/local-secret"] {
            XCTAssertTrue(last.contains(part), "\(part) in: \(last)")
        }
    }

    /// Another secret: the worker says so within seconds, and the coordinator names it when it
    /// gives up waiting.
    func testAWorkerOfAnotherSecretIsToldWithinSecondsAndNamedByTheCoordinator() throws {
        let port = try freePort(), secret = try secretFile(), directory = try temporaryDirectory(self)
        let otherSecret = try temporaryDirectory(self) + "/other.secret"
        XCTAssertTrue(FileManager.default.createFile(
            atPath: otherSecret, contents: Data("the secret of some other job, equally long".utf8), attributes: [.posixPermissions: 0o600]))
        let coordinator = try dlcoord.start(
            ["--workers", "1", "--bind", "tcp://127.0.0.1:\(port)", "--secret-file", secret, "--wait-timeout", "6", "--run-dir", directory])
        XCTAssertTrue(coordinator.waitForError(containing: "listening on", timeout: 30), coordinator.errorsSoFar)
        let worker = try dlworker.start(
            ["--connect", "tcp://127.0.0.1:\(port)", "--secret-file", otherSecret, "--name", "stranger", "--reconnect-timeout", "4"])
        XCTAssertTrue(
            worker.waitForError(containing: "the coordinator holds another secret (or this worker lacks it)", timeout: 3),
            worker.errorsSoFar)
        let refused = worker.wait(timeout: 30)
        XCTAssertEqual(refused.status, 1, refused.errors)
        XCTAssertTrue(refused.errors.contains("secret file \(otherSecret)"), refused.errors)
        let result = coordinator.wait(timeout: 30)
        XCTAssertEqual(result.status, 1, result.errors)
        let last = String(result.errors.split(separator: "\n").last ?? "")
        XCTAssertTrue(last.contains("only 0 of 1 workers registered"), last)
        XCTAssertTrue(last.contains("turned away: a peer at 127.0.0.1"), last)
        XCTAssertTrue(last.contains("(another secret)"), last)
    }

    /// Something listens that is not dltrain (nor ZeroMQ): the worker says so.
    func testAPortWhereSomethingElseListensIsNamed() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        XCTAssertTrue(bound)
        // The kernel completes the connections into the backlog; nothing ever answers them.
        let port = Int(UInt16(bigEndian: address.sin_port))
        let worker = try dlworker.run(["--connect", "tcp://127.0.0.1:\(port)", "--reconnect-timeout", "4"], timeout: 30)
        XCTAssertEqual(worker.status, 1, worker.errors)
        let last = String(worker.errors.split(separator: "\n").last ?? "")
        XCTAssertTrue(last.contains("something accepts connections at 127.0.0.1 port \(port) but does not speak ZeroMQ"), last)
    }

    /// A range of peer ports: a worker takes the first free one (the test holds the first), and the
    /// ring trains through it to the bytes of one process.
    func testAPeerPortRangeBindsItsFirstFreePort() throws {
        let directory = try temporaryDirectory(self)
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(held) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        XCTAssertTrue(withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(held, $0, length) == 0 && listen(held, 1) == 0 && getsockname(held, $0, &length) == 0
            }
        })
        let first = Int(UInt16(bigEndian: address.sin_port))
        guard first + 20 <= 65535 else { throw XCTSkip("the held port is at the top of the range") }
        // A TCP peer socket every user of the machine could reach needs the job's secret.
        let endpoint = try ipcEndpoint(), secret = ["--secret-file", try secretFile()]
        let flags = ["--epochs", "2", "--shards", "2", "--layers", "40:relu,500:relu,1:sigmoid"]
        let coordinator = try dlcoord.start(["--workers", "1", "--bind", endpoint, "--verbose", "0", "--run-dir", directory] + secret + flags)
        let worker = try dlworker.start(["--connect", endpoint, "--peer-bind", "tcp://127.0.0.1:\(first)-\(first + 20)"] + secret)
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        let joined = worker.wait(timeout: 30)
        XCTAssertEqual(joined.status, 0, joined.errors)
        let reached = joined.errors.split(separator: "\n").first { $0.contains("other workers reach it at tcp://") }
        let port = reached.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }
        XCTAssertNotNil(port, joined.errors)
        XCTAssertTrue(port.map { $0 > first && $0 <= first + 20 } ?? false, "\(String(describing: port)) in \(first + 1)...\(first + 20)")
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }

    /// A worker stopped with Ctrl-C waits for the coordinator's acknowledgement and says it came;
    /// the coordinator moves its shards at once (its worker timeout is longer than the test).
    func testAWorkerStoppedWithCtrlCHearsTheCoordinatorAcknowledge() throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "60", "--shards", "2"]
        let workers = try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"]) }
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--worker-timeout", "3600", "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 5/", timeout: 60), coordinator.errorsSoFar)
        workers[1].signal(SIGINT)
        let left = workers[1].wait(timeout: 30)
        XCTAssertEqual(left.status, 130, left.errors)
        XCTAssertTrue(left.errors.contains("dlworker: left the job: it was stopped (Ctrl-C); the coordinator acknowledged it"), left.errors)
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("(w2, ") && result.errors.contains("is lost: failed: it was stopped (Ctrl-C)"), result.errors)
        XCTAssertEqual(workers[0].wait(timeout: 30).status, 0)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }

    /// A coordinator that cannot answer (stopped): the worker says, within its bound, that its
    /// goodbye was not acknowledged and when the coordinator will notice; continued, the coordinator
    /// reads the goodbye and the run ends with the bytes of one process.
    func testAWorkerWhoseGoodbyeIsNotAcknowledgedSaysSo() throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "40", "--shards", "2"]
        let workers = try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"]) }
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--worker-timeout", "3600", "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 5/", timeout: 60), coordinator.errorsSoFar)
        coordinator.signal(SIGSTOP)
        workers[1].signal(SIGINT)
        let left = workers[1].wait(timeout: 15)
        coordinator.signal(SIGCONT)
        XCTAssertFalse(left.timedOut)
        XCTAssertEqual(left.status, 130, left.errors)
        XCTAssertTrue(left.errors.contains("the coordinator did not acknowledge its goodbye within 2 s"), left.errors)
        XCTAssertTrue(left.errors.contains("--worker-timeout"), left.errors)
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("is lost: failed: it was stopped (Ctrl-C)"), result.errors)
        XCTAssertEqual(workers[0].wait(timeout: 30).status, 0)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }
}
