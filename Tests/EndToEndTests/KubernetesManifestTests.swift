// deploy/k8s against Kubernetes's own schemas, offline: every manifest passes
// `kubernetes-validate --strict` (PyPI, in .build/python: deploy/install-deps.sh --test) for
// Kubernetes 1.28 and 1.33, and holds what a cluster run needs: the run directory on a claim, the
// coordinator's Service, the secret mounted as a file, resource requests, the metrics port
// annotated for scraping.

import DLTestSupport
import Foundation
import XCTest

final class KubernetesManifestTests: XCTestCase {
    private static let folder = Repository.root + "/deploy/k8s"
    private static let validator = Repository.root + "/.build/python/bin/kubernetes-validate"

    private var manifests: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Self.folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { Self.folder + "/" + $0 }
    }

    func testEveryManifestPassesTheSchemasOf128And133() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.validator) else {
            throw XCTSkip("needs kubernetes-validate in .build/python (deploy/install-deps.sh --test)")
        }
        XCTAssertEqual(manifests.map { ($0 as NSString).lastPathComponent }, ["coordinator.yaml", "secret.yaml", "workers.yaml"])
        for version in ["1.28.0", "1.33.0"] {
            let result = try runProcess(Self.validator, ["--strict", "-k", version] + manifests)
            let output = String(decoding: result.output + result.errors, as: UTF8.self)
            XCTAssertEqual(result.status, 0, output)
            XCTAssertEqual(output.components(separatedBy: " passed for resource ").count - 1, 5, output)
        }
    }

    func testTheManifestsHoldWhatAClusterRunNeeds() throws {
        let coordinator = try String(contentsOfFile: Self.folder + "/coordinator.yaml", encoding: .utf8)
        let workers = try String(contentsOfFile: Self.folder + "/workers.yaml", encoding: .utf8)
        for expected in [
            "kind: PersistentVolumeClaim", "kind: Service", "kind: Job", "claimName: dltrain-runs", "--resume, auto",
            "prometheus.io/scrape: \"true\"", "prometheus.io/port: \"9090\"", "--metrics-address, \"0.0.0.0:9090\"",
            "secretName: dltrain-secret", "requests: {cpu:",
        ] {
            XCTAssertTrue(coordinator.contains(expected), "coordinator.yaml lacks \(expected)")
        }
        for expected in ["kind: Deployment", "replicas: 4", "tcp://dltrain-coordinator:5555", "secretName: dltrain-secret", "requests: {cpu:"] {
            XCTAssertTrue(workers.contains(expected), "workers.yaml lacks \(expected)")
        }
    }
}
