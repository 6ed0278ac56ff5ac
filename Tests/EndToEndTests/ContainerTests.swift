// deploy/container for real, with podman and no registry: the image is built from this build's
// static release binaries (deploy/container/build.sh --prebuilt) on a Debian base made locally with
// debootstrap, as ../shared/notes/cluster-engines.md describes; it trains the seed job on its own,
// as a non-root user, and dlmodel summarizes the model; then a coordinator and four workers run as five containers on a podman
// network, the job's secret mounted from a file, and the model must be byte-identical to
// `dlcoord --local --shards 4`. Needs root, podman, runc and debootstrap (deploy/install-deps.sh
// --test), and deploy/container/build-binaries.sh (the README's test command runs it).

import DLTestSupport
import Foundation
import XCTest

final class ContainerTests: XCTestCase {
    private var engine: Podman!

    override func setUpWithError() throws {
        engine = try Podman.withTheTestImage()
    }

    override func tearDown() {
        engine?.removeEverything()
        engine = nil
    }

    func testTheImageTrainsTheSeedJobAsANonRootUser() throws {
        let user = try engine.run(["run", "--rm", Podman.testImage, "id", "-u"])
        XCTAssertEqual(user.outputText.trimmingCharacters(in: .whitespacesAndNewlines), "10001")
        let trained = try engine.run([
            "run", "--rm", Podman.testImage, "sh", "-c", "dlcoord --local --epochs 2 --verbose 2 --run-dir runs/seed && dlmodel summary runs/seed",
        ])
        XCTAssertEqual(trained.status, 0, trained.errorText)
        XCTAssertTrue(trained.outputText.contains("Epoch 2/2"), trained.outputText)
        XCTAssertTrue(trained.outputText.contains("Saved runs/seed/model.safetensors"), trained.outputText)
        XCTAssertTrue(trained.outputText.contains(" Total params: 571 (2.23 KB)"), "dlmodel is in the image: \(trained.outputText)")
    }

    func testACoordinatorAndFourWorkerContainersTrainTheLocalModel() throws {
        let directory = try temporaryDirectory(self)
        let secrets = directory + "/secrets", runs = directory + "/runs"
        for folder in [secrets, runs] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let secret = secrets + "/job.secret"
        XCTAssertTrue(FileManager.default.createFile(
            atPath: secret, contents: Data("a secret only this job's containers hold".utf8), attributes: [.posixPermissions: 0o600]))
        // The image's user owns what it reads and writes: the secret (which must be its alone) and the runs.
        for path in [secrets, secret, runs] { XCTAssertEqual(chown(path, 10001, 10001), 0, path) }

        let network = try engine.network()
        let mounts = ["-v", "\(secrets):/run/secrets/dltrain:ro"]
        let flags = ["--shards", "4", "--epochs", "5"]
        let coordinator = try engine.start(name: "coordinator", network: network, [
            "-v", "\(runs):/home/dltrain/runs",
        ] + mounts + [
            Podman.testImage, "dlcoord", "--workers", "4", "--bind", "tcp://*:5555", "--secret-file",
            "/run/secrets/dltrain/job.secret", "--run-dir", "runs/job", "--verbose", "2",
        ] + flags)
        let workers = try (1...4).map { index in
            try engine.start(name: "worker\(index)", network: network, mounts + [
                Podman.testImage, "dlworker", "--connect", "tcp://\(coordinator):5555", "--secret-file",
                "/run/secrets/dltrain/job.secret", "--name", "w\(index)",
            ])
        }
        let exit = try engine.run(["wait", coordinator], timeout: 180)
        let logs = try engine.run(["logs", coordinator])
        let workerLogs = try workers.map { try engine.run(["logs", $0]).errorText }.joined(separator: "\n")
        XCTAssertEqual(exit.outputText.trimmingCharacters(in: .whitespacesAndNewlines), "0", logs.outputText + logs.errorText + workerLogs)
        XCTAssertTrue(logs.errorText.contains("only workers holding the job's secret are admitted"), logs.errorText)
        XCTAssertEqual(logs.errorText.components(separatedBy: " joined: w").count - 1, 4, logs.errorText)
        XCTAssertEqual(try model(in: runs + "/job"), try localModel(flags))
    }
}
