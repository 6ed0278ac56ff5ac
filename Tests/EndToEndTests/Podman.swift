// podman for the tests that run dltrain's image (ContainerTests, KubernetesPlayTests) or its release
// archive (ReleaseArchiveTests), without a registry: a configuration of its own, the Debian base
// made with debootstrap, the image built from this build's static release binaries by
// deploy/container/build.sh --prebuilt, and whatever a test made (containers, networks, pods,
// volumes) removed when it ends.

import DLTestSupport
import Foundation
import XCTest

/// podman with a configuration of its own (this machine's kernel needs runc, and root here cannot
/// raise the hard limit on open files), and the containers and networks it made, removed at the end.
/// Its files live in a folder of its own, not the test's: that is gone when tearDown runs.
final class Podman {
    let configuration: String
    private let directory: String
    /// Ends the name of everything this instance makes, which `removeEverything` removes.
    let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private var networks: [String] = []
    private var played: [String] = []
    /// The volumes no container used when this instance began.
    private var danglingBefore: Set<String> = []

    static let testImage = "localhost/dltrain-test:latest"
    /// Debian's minbase, made by debootstrap: no Swift, no -dev package, none of dltrain's libraries.
    static let baseImage = "docker.io/library/debian:bookworm-slim"
    /// Where deploy/container/build-binaries.sh puts the statically linked executables.
    static let release = Repository.root + "/.build/release"

    /// podman with the bare Debian base image; skips the test where it cannot run (not root, podman
    /// or debootstrap missing, no statically linked executables in `release`).
    static func withTheBaseImage() throws -> Podman {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run podman here") }
        for tool in ["/usr/bin/podman", "/usr/sbin/debootstrap"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("needs \(tool): apt-get install podman runc debootstrap (deploy/install-deps.sh --test)")
        }
        let linked = try runProcess(
            Repository.root + "/deploy/check-linkage.sh", ["dlcoord", "dlworker", "dlmodel"].map { release + "/" + $0 })
        guard linked.status == 0 else {
            throw XCTSkip("needs the executables of deploy/container/build-binaries.sh in \(release): \(linked.errorText)")
        }
        let engine = try Podman()
        do {
            try engine.ensureBase(baseImage)
        } catch {
            engine.removeEverything()
            throw error
        }
        return engine
    }

    /// podman, with the test image built from the base image and the static executables; skips as
    /// `withTheBaseImage` does.
    static func withTheTestImage() throws -> Podman {
        let engine = try withTheBaseImage()
        do {
            let built = try runProcess(
                Repository.root + "/deploy/container/build.sh", ["--prebuilt", "--pull=never"],
                environment: ["CONTAINERS_CONF": engine.configuration, "DLTRAIN_IMAGE": testImage, "DLTRAIN_BIN": release],
                timeout: 600)
            guard built.status == 0 else { throw PodmanError("build.sh --prebuilt failed: \(built.errorText)") }
        } catch {
            engine.removeEverything()
            throw error
        }
        return engine
    }

    private init() throws {
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
        danglingBefore = Set(names(["volume", "ls", "--filter", "dangling=true", "--format", "{{.Name}}"]))
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
            tar -C '\(rootfs)' -c . | CONTAINERS_CONF='\(configuration)' podman import \\
                --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' - \(image)
            """], timeout: 300)
        guard imported.status == 0 else { throw PodmanError("podman import failed: \(imported.errorText)") }
    }

    /// Plays Kubernetes YAML (`podman kube play`), on `network` if given ("NAME" or "NAME:alias=A").
    func play(_ file: String, network: String? = nil) throws {
        played.append(file)
        let result = try run(["kube", "play"] + (network.map { ["--network", $0] } ?? []) + [file])
        guard result.status == 0 else { throw PodmanError("podman kube play \(file): \(result.errorText)") }
    }

    /// `podman logs --follow` of `container`, its output and errors as they come.
    func follow(_ container: String) throws -> RunningProcess {
        try RunningProcess(
            executable: URL(fileURLWithPath: "/usr/bin/podman"), arguments: ["logs", "--follow", container],
            directory: Repository.root, environment: ["CONTAINERS_CONF": configuration])
    }

    /// Removes what this instance made, named with `suffix`: containers (with their anonymous
    /// volumes, which neither `kube down` nor `pod rm` removes, and the image declares one for its
    /// run directory), the pods played, then volumes, secrets and networks.
    func removeEverything() {
        let containers = ours(["ps", "--all", "--format", "{{.Names}}"])
        if !containers.isEmpty { _ = try? run(["rm", "--force", "--volumes"] + containers) }
        for file in played.reversed() { _ = try? run(["kube", "down", file]) }
        // A play that failed halfway leaves pods that `kube down` does not know.
        let pods = ours(["pod", "ls", "--format", "{{.Name}}"])
        if !pods.isEmpty { _ = try? run(["pod", "rm", "--force"] + pods) }
        // The init containers kube play ran and removed left their anonymous volumes behind:
        // those unused now that were not before.
        let dangling = Set(names(["volume", "ls", "--filter", "dangling=true", "--format", "{{.Name}}"]))
        let volumes = ours(["volume", "ls", "--format", "{{.Name}}"]) + dangling.subtracting(danglingBefore).sorted()
        if !volumes.isEmpty { _ = try? run(["volume", "rm", "--force"] + volumes) }
        let secrets = ours(["secret", "ls", "--format", "{{.Name}}"])
        if !secrets.isEmpty { _ = try? run(["secret", "rm"] + secrets) }
        for network in networks { _ = try? run(["network", "rm", "--force", network]) }
        played.removeAll()
        networks.removeAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The names a listing command prints that hold `suffix`.
    private func ours(_ listing: [String]) -> [String] {
        names(listing).filter { $0.contains(suffix) }
    }

    private func names(_ listing: [String]) -> [String] {
        ((try? run(listing))?.outputText.split(separator: "\n") ?? []).map(String.init)
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

struct PodmanError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
