// deploy/k8s run for real with `podman kube play` (root, podman; the image as ContainerTests builds
// it): the Secret, the coordinator (its run directory on the claim, reached by the Service's name)
// and the workers' Deployment train the seed job, the Deployment is scaled up and down during the
// run (the removed worker, stopped with SIGTERM as Kubernetes stops a pod, tells the coordinator,
// which moves its shards at once), and the model is byte-identical to `dlcoord --local --shards 4`.
//
// podman 4.3 is not Kubernetes, and the test changes only what it must, in a copy of the manifests
// made by Tests/EndToEndTests/adapt-k8s.py (docs/deploy.md has the table of why): the Job's pod
// template is played as a Pod, the Service's name becomes the coordinator's alias on the test's
// network, the Secret is given in `data`, the workers' pods restart on failure only; every name
// gets the test's suffix, the image is the test's, and the coordinator trains more epochs, so that
// the scaling lands mid-run. podman has no controller to scale a Deployment: the test does what
// Kubernetes's does on `kubectl scale`, starting a pod from the same template (one more Deployment
// of one replica) and deleting one.

import DLTestSupport
import Foundation
import XCTest

final class KubernetesPlayTests: XCTestCase {
    private static let adapt = Repository.root + "/Tests/EndToEndTests/adapt-k8s.py"
    private var engine: Podman!

    override func setUpWithError() throws {
        guard (try? Python.run("import yaml", arguments: [])) != nil else {
            throw XCTSkip("needs PyYAML in .build/python (deploy/install-deps.sh --test installs it with kubernetes-validate)")
        }
        engine = try Podman.withTheTestImage()
    }

    override func tearDown() {
        engine?.removeEverything()
        engine = nil
    }

    func testTheManifestsTrainTheLocalModelWhileTheWorkersAreScaled() throws {
        let manifests = try temporaryDirectory(self), suffix = engine.suffix
        let epochs = ["--epochs", "1000"]
        _ = try Python.run(try String(contentsOfFile: Self.adapt, encoding: .utf8), arguments: [
            Repository.root + "/deploy/k8s", manifests, Podman.testImage, suffix, epochs.joined(separator: " "),
        ])
        let network = try engine.network()
        try engine.play(manifests + "/secret.yaml")
        try engine.play(manifests + "/coordinator.yaml", network: network + ":alias=dltrain-coordinator")
        try engine.play(manifests + "/workers.yaml", network: network)
        let coordinator = "dltrain-coordinator-\(suffix)-dlcoord"
        let log = try engine.follow(coordinator)
        defer { log.signal(SIGKILL) }

        XCTAssertTrue(log.waitForOutput(containing: "Epoch 5/1000", timeout: 120), log.errorsSoFar)
        XCTAssertEqual(log.errorsSoFar.components(separatedBy: " joined: ").count - 1, 4, log.errorsSoFar)
        try engine.play(manifests + "/workers-extra.yaml", network: network)
        XCTAssertTrue(log.waitForError(containing: "joined during the run", timeout: 60), log.errorsSoFar)
        // Stopped as Kubernetes stops a pod, with SIGTERM (and SIGKILL 30 s later).
        let removed = try engine.run(["pod", "rm", "--force", "--time", "30", "dltrain-worker-\(suffix)-pod-0"])
        XCTAssertEqual(removed.status, 0, removed.errorText)
        XCTAssertTrue(log.waitForError(containing: "is lost: failed: it was stopped (SIGTERM)", timeout: 60), log.errorsSoFar)

        let exit = try engine.run(["wait", coordinator], timeout: 300)
        XCTAssertEqual(exit.outputText.trimmingCharacters(in: .whitespacesAndNewlines), "0", log.errorsSoFar)
        let claim = try engine.run(["volume", "inspect", "dltrain-runs-\(suffix)", "--format", "{{.Mountpoint}}"])
        let runDirectory = claim.outputText.trimmingCharacters(in: .whitespacesAndNewlines) + "/job"
        XCTAssertEqual(try model(in: runDirectory), try localModel(["--shards", "4"] + epochs))
    }
}
