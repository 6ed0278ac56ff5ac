// Training across hosts, for real: network namespaces on one bridge, each host's link limited by a
// token bucket, made by ../shared/anchors/multihost/hosts.sh (root and iproute2 needed; the test
// says why it skips without them). The coordinator runs on h0 and one worker on each of h1..h4,
// five hosts, holding the job's secret (every link encrypted), summing around a ring; one host is
// partitioned away for longer than --worker-timeout and healed, and the model must still be the
// bytes of `dlcoord --local --shards 4`.

import DLTestSupport
import Foundation
import XCTest

final class MultiHostTests: XCTestCase {
    private static let hostsScript = Repository.root + "/../shared/anchors/multihost/hosts.sh"
    private static let coordinatorEndpoint = "tcp://10.78.0.1:5555"  // h0, as hosts.sh numbers the hosts

    func testAHostPartitionedPastTheTimeoutAndHealedChangesNothing() throws {
        try makeHosts(workers: 4)
        let directory = try temporaryDirectory(self), secret = try secretFile()
        let flags = ["--epochs", "60", "--shards", "4"]
        let workers = try (1...4).map { host in
            try onHost(host, "dlworker", ["--connect", Self.coordinatorEndpoint, "--secret-file", secret, "--name", "w\(host)"])
        }
        let coordinator = try onHost(0, "dlcoord", [
            "--workers", "4", "--bind", Self.coordinatorEndpoint, "--secret-file", secret, "--exchange", "ring",
            "--worker-timeout", "2",
            "--verbose", "2", "--run-dir", directory,
        ] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 6/", timeout: 120), coordinator.errorsSoFar)
        try hosts("cut", "2")
        XCTAssertTrue(coordinator.waitForError(containing: "(w2, ", timeout: 60), coordinator.errorsSoFar)
        XCTAssertTrue(coordinator.waitForError(containing: "is lost", timeout: 60), coordinator.errorsSoFar)
        try hosts("heal", "2")
        XCTAssertTrue(coordinator.waitForError(containing: "joined during the run: w2", timeout: 60), coordinator.errorsSoFar)
        let result = coordinator.wait(timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    /// Hosts h0..h`workers`, removed when the test ends; skips the test when they cannot be made.
    private func makeHosts(workers: Int) throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to make network namespaces (hosts.sh)") }
        guard FileManager.default.fileExists(atPath: Self.hostsScript) else {
            throw XCTSkip("\(Self.hostsScript) not found (the shared anchors are beside the repository)")
        }
        guard let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("needs iproute2's ip (apt-get install iproute2)")
        }
        let listed = try run(ip, ["netns", "list"]).output.split(separator: "\n")
        let names: [String] = listed.map { line in String(line.prefix { $0 != " " }) }
        let taken = names.filter(Self.isHostsNamespace)
        guard taken.isEmpty else {
            throw XCTSkip("network namespaces \(taken.joined(separator: ", ")) already exist (another run of hosts.sh?)")
        }
        addTeardownBlock { [self] in _ = try? self.run("/bin/bash", [Self.hostsScript, "down"]) }
        let made = try run("/bin/bash", [Self.hostsScript, "up", "\(workers)", "1gbit"])
        // A kernel without network namespaces, veth or tbf cannot make them: that is this machine's
        // limit, not dltrain's.
        guard made.status == 0 else { throw XCTSkip("hosts.sh up failed: \(made.errors)") }
    }

    /// The names hosts.sh gives: h0..hN and the bridge's dlsw.
    private static func isHostsNamespace(_ name: String) -> Bool {
        name == "dlsw" || (name.hasPrefix("h") && Int(name.dropFirst()) != nil)
    }

    /// Runs hosts.sh with `arguments`; a failure fails the test with its message.
    private func hosts(_ arguments: String...) throws {
        let result = try run("/bin/bash", [Self.hostsScript] + arguments)
        if result.status != 0 { XCTFail("hosts.sh \(arguments.joined(separator: " ")) failed: \(result.errors)") }
    }

    private func run(_ path: String, _ arguments: [String]) throws -> Executable.Result {
        try RunningProcess(executable: URL(fileURLWithPath: path), arguments: arguments, directory: Repository.root)
            .wait(timeout: 60)
    }

    /// Starts one of the products inside host `host`'s namespace (`ip netns exec` becomes it, so
    /// the process the test holds is the product itself).
    private func onHost(_ host: Int, _ product: String, _ arguments: [String]) throws -> RunningProcess {
        let executable = Executable.productsDirectory.appendingPathComponent(product).path
        return try RunningProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["ip", "netns", "exec", "h\(host)", executable] + arguments,
            directory: Repository.root)
    }
}
