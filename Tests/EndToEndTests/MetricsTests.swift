// dlcoord --metrics-address, scraped during a distributed run and parsed with the parser of the
// prometheus-client PyPI package (.build/python, deploy/install-deps.sh --test): every metric the
// run promises is there, with values that fit the run (its epochs, its two workers, bytes moving).

import DLTestSupport
import Foundation
import XCTest

final class MetricsTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    /// Fetches `url` and prints its samples as JSON: {"name{label=value,...}": value}.
    private static let scrape = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[sample.name + ("{" + labels + "}" if labels else "")] = sample.value
        print(json.dumps(samples))
        """

    func testARunIsScrapedAndParsedByPrometheusClient() throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let address = "127.0.0.1:\(try freePort())"
        let coordinator = try dlcoord.start([
            "--workers", "2", "--bind", endpoint, "--metrics-address", address, "--epochs", "400", "--verbose", "2",
            "--run-dir", directory,
        ])
        let workers = try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"]) }
        defer {
            coordinator.signal(SIGINT)
            _ = coordinator.wait(timeout: 30)
            for worker in workers { _ = worker.wait(timeout: 30) }
        }
        XCTAssertTrue(coordinator.waitForOutput(containing: "Metrics: http://\(address)/metrics", timeout: 30))
        // Scraped once the second epoch has begun, so a first epoch's figures are in.
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 3/400", timeout: 60))
        let samples = try scrape("http://\(address)/metrics")
        XCTAssertEqual(samples["dltrain_run_state{state=training}"], 1, "\(samples)")
        XCTAssertEqual(samples["dltrain_run_state{state=starting}"], 0)
        XCTAssertEqual(samples["dltrain_epochs"], 400)
        XCTAssertGreaterThanOrEqual(samples["dltrain_epoch"] ?? 0, 3)
        XCTAssertEqual(samples["dltrain_steps_per_epoch"], 47)
        XCTAssertGreaterThan(samples["dltrain_samples_per_second"] ?? 0, 0)
        for name in ["loss", "accuracy"] {
            let value = try XCTUnwrap(samples["dltrain_epoch_metric{name=\(name)}"], "\(samples)")
            XCTAssertTrue(value > 0 && value < 1, "\(name) \(value)")
        }
        XCTAssertEqual(samples["dltrain_workers"], 2)
        XCTAssertEqual(samples["dltrain_workers_registered_total"], 2)
        XCTAssertEqual(samples["dltrain_workers_lost_total"], 0)
        XCTAssertEqual(samples["dltrain_workers_joined_total"], 0)
        for worker in ["w1", "w2"] {
            XCTAssertNotNil(samples["dltrain_worker_step_seconds{worker=\(worker)}"], "\(samples)")
        }
        XCTAssertGreaterThan(samples["dltrain_bytes_sent_total"] ?? 0, 0)
        XCTAssertGreaterThan(samples["dltrain_bytes_received_total"] ?? 0, 0)
        XCTAssertGreaterThanOrEqual(samples["dltrain_checkpoints_written_total"] ?? 0, 1, "a checkpoint every epoch")
        XCTAssertGreaterThanOrEqual(samples["dltrain_last_checkpoint_age_seconds"] ?? -1, 0)

        let later = try scrape("http://\(address)/metrics")
        XCTAssertGreaterThan(later["dltrain_bytes_sent_total"] ?? 0, samples["dltrain_bytes_sent_total"] ?? 0, "counters grow")
        let missing = try Python.run(
            "import urllib.request, urllib.error, sys\ntry:\n    urllib.request.urlopen(sys.argv[1], timeout=10)\nexcept urllib.error.HTTPError as e:\n    print(e.code)",
            arguments: ["http://\(address)/other"])
        XCTAssertEqual(missing.trimmingCharacters(in: .whitespacesAndNewlines), "404")
    }

    func testABadOrTakenAddressIsRefusedBeforeTraining() throws {
        let refused = try dlcoord.run(["--local", "--metrics-address", "nowhere"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains("--metrics-address nowhere: expected HOST:PORT"), refused.errors)

        let port = try freePort()
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(holder, 1), 0)
        let taken = try dlcoord.run(["--local", "--metrics-address", "127.0.0.1:\(port)"])
        XCTAssertNotEqual(taken.status, 0)
        XCTAssertTrue(taken.errors.contains("cannot serve metrics at http://127.0.0.1:\(port)/metrics"), taken.errors)
    }

    private func scrape(_ url: String) throws -> [String: Double] {
        let json = try Python.run(Self.scrape, arguments: [url])
        return try JSONDecoder().decode([String: Double].self, from: Data(json.utf8))
    }
}
