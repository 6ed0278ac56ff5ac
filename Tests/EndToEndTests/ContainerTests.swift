// deploy/container for real, with podman and no registry: the image is built from this build's
// static release binaries (deploy/container/build.sh --prebuilt) on a Debian base made locally with
// debootstrap, as ../shared/notes/cluster-engines.md describes; it trains the seed job on its own,
// as a non-root user; then a coordinator and four workers run as five containers on a podman
// network, the job's secret mounted from a file, and the model must be byte-identical to
// `dlcoord --local --shards 4`. Needs root, podman, runc and debootstrap (deploy/install-deps.sh
// --test), and deploy/container/build-binaries.sh (the README's test command runs it).

import DLTestSupport
import Foundation
import XCTest

final class ContainerTests: XCTestCase {
    private static let base = "docker.io/library/debian:bookworm-slim"
    private static let image = "localhost/dltrain-test:latest"
    private static let release = Repository.root + "/.build/release"
    private var engine: Podman!

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run podman here") }
        for tool in ["/usr/bin/podman", "/usr/sbin/debootstrap"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("needs \(tool): apt-get install podman runc debootstrap (deploy/install-deps.sh --test)")
        }
        for tool in ["dlcoord", "dlworker"] {
            let linked = try runProcess("/usr/bin/ldd", [Self.release + "/" + tool])
            guard linked.status == 0, !linked.outputText.contains("libswiftCore") else {
                throw XCTSkip("needs \(Self.release)/\(tool) built by deploy/container/build-binaries.sh")
            }
        }
        engine = try Podman()
        try engine.ensureBase(Self.base)
        let built = try runProcess(
            Repository.root + "/deploy/container/build.sh", ["--prebuilt", "--pull=never"],
            environment: ["CONTAINERS_CONF": engine.configuration, "DLTRAIN_IMAGE": Self.image, "DLTRAIN_BIN": Self.release],
            timeout: 600)
        guard built.status == 0 else {
            return XCTFail("build.sh --prebuilt failed: \(built.errorText)")
        }
    }

    override func tearDown() {
        engine?.removeEverything()
        engine = nil
    }

    func testTheImageTrainsTheSeedJobAsANonRootUser() throws {
        let user = try engine.run(["run", "--rm", Self.image, "id", "-u"])
        XCTAssertEqual(user.outputText.trimmingCharacters(in: .whitespacesAndNewlines), "10001")
        let trained = try engine.run(["run", "--rm", Self.image, "dlcoord", "--local", "--epochs", "2", "--verbose", "2"])
        XCTAssertEqual(trained.status, 0, trained.errorText)
        XCTAssertTrue(trained.outputText.contains("Epoch 2/2"), trained.outputText)
        XCTAssertTrue(trained.outputText.contains("Saved runs/"), trained.outputText)
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
            Self.image, "dlcoord", "--workers", "4", "--bind", "tcp://*:5555", "--secret-file",
            "/run/secrets/dltrain/job.secret", "--run-dir", "runs/job", "--verbose", "2",
        ] + flags)
        let workers = try (1...4).map { index in
            try engine.start(name: "worker\(index)", network: network, mounts + [
                Self.image, "dlworker", "--connect", "tcp://\(coordinator):5555", "--secret-file",
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

/// podman with a configuration of its own (this machine's kernel needs runc, and root here cannot
/// raise the hard limit on open files), and the containers and networks it made, removed at the end.
/// Its files live in a folder of its own, not the test's: that is gone when tearDown runs.
private final class Podman {
    let configuration: String
    private let directory: String
    private let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private var containers: [String] = []
    private var networks: [String] = []

    init() throws {
        directory = NSTemporaryDirectory() + "dltrain-podman-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configuration = directory + "/containers.conf"
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try """
            [containers]
            default_ulimits = ["nofile=\(limit.rlim_max):\(limit.rlim_max)", "nproc=32768:32768"]
            [engine]
            runtime = "runc"

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
    }

    /// Runs podman and waits for it (at most `timeout` seconds). `podman run -d` leaves the
    /// container's monitor running with whatever it inherited: runProcess hands on nothing but the
    /// three streams.
    func run(_ arguments: [String], timeout: Double = 120) throws -> ProcessResult {
        try runProcess("/usr/bin/podman", arguments, environment: ["CONTAINERS_CONF": configuration], timeout: timeout)
    }

    /// A network of its own; its name.
    func network() throws -> String {
        let name = "dltrain-test-\(suffix)"
        let made = try run(["network", "create", name])
        guard made.status == 0 else { throw PodmanError("podman network create: \(made.errorText)") }
        networks.append(name)
        return name
    }

    /// Starts a detached container named after `name` on `network`; its name, which is also its
    /// host name there.
    func start(name: String, network: String, _ arguments: [String]) throws -> String {
        let container = "dltrain-\(name)-\(suffix)"
        containers.append(container)
        let started = try run(["run", "-d", "--name", container, "--network", network] + arguments)
        guard started.status == 0 else { throw PodmanError("podman run \(name): \(started.errorText)") }
        return container
    }

    /// The Debian base image, made with debootstrap from this machine's Debian mirror unless it is here.
    func ensureBase(_ image: String) throws {
        if try run(["image", "exists", image]).status == 0 { return }
        let rootfs = directory + "/rootfs"
        // debootstrap runs chroot and other tools of the system folders, which the test's PATH may lack.
        let made = try runProcess(
            "/usr/sbin/debootstrap", ["--variant=minbase", "bookworm", rootfs, Self.mirror()],
            environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], timeout: 600)
        guard made.status == 0 else {
            throw PodmanError("debootstrap failed: \((made.outputText + made.errorText).suffix(2000))")
        }
        let imported = try runProcess("/bin/sh", ["-c", """
            rm -rf '\(rootfs)'/var/lib/apt/lists/* '\(rootfs)'/var/cache/apt/*.bin && \
            tar -C '\(rootfs)' -c . | CONTAINERS_CONF='\(configuration)' podman import --change 'CMD ["bash"]' - \(image)
            """], timeout: 300)
        guard imported.status == 0 else { throw PodmanError("podman import failed: \(imported.errorText)") }
    }

    func removeEverything() {
        if !containers.isEmpty { _ = try? run(["rm", "-f"] + containers) }
        for network in networks { _ = try? run(["network", "rm", "-f", network]) }
        containers.removeAll()
        networks.removeAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The Debian mirror apt uses here for bookworm's main component (deb.debian.org when none is named).
    private static func mirror() -> String {
        let folder = "/etc/apt/sources.list.d"
        let files = ["/etc/apt/sources.list"] + ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).map { folder + "/" + $0 }
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            // One-line sources ("deb URI bookworm main"), then deb822 stanzas (URIs:, Suites:, Components:).
            if let line = text.firstMatch(of: /(?m)^deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+bookworm\s+.*\bmain\b/) {
                return String(line.1)
            }
            for stanza in text.components(separatedBy: "\n\n")
            where stanza.contains(/(?m)^Suites:.*\bbookworm\b/) && stanza.contains(/(?m)^Components:.*\bmain\b/) {
                if let uri = stanza.firstMatch(of: /(?m)^URIs:\s*(https?:\/\/\S+)/) { return String(uri.1) }
            }
        }
        return "http://deb.debian.org/debian"
    }
}

private struct PodmanError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
