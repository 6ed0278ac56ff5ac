// Whatever listens where a worker connects may answer it with anything. A fake coordinator (a
// ROUTER socket of this test) answers dlworker's hello with each crafted welcome of
// Tests/Fuzz/crashes/message, every one of which made dlworker trap (SIGILL): now the worker exits
// with status 1 and an error that names the address it connected to and what was wrong.

import DLTestSupport
import DLTransport
import Foundation
import XCTest

final class HostileCoordinatorTests: XCTestCase {
    func testACraftedWelcomeIsRefusedNamingTheAddress() throws {
        let crafted = Repository.root + "/Tests/Fuzz/crashes/message/"
        for (file, field) in [("crafted-welcome-units", "units"), ("crafted-welcome-rows", "training_rows"), ("crafted-welcome-batch", "batch_size")] {
            let welcome = try [UInt8](Data(contentsOf: URL(fileURLWithPath: crafted + file)))
            let directory = try temporaryDirectory(self)
            let endpoint = "ipc://\(directory)/fake.ipc"
            let context = try ZMQContext()
            let router = try ZMQSocket(.router, context: context)
            defer { router.close() }
            _ = try router.bind(endpoint)
            let worker = try Executable(name: "dlworker").start(["--connect", endpoint, "--reconnect-timeout", "30"])
            var peer: [UInt8]?
            for _ in 0..<30 where peer == nil {
                try router.receive(timeout: .seconds(1)) { _, id, _ in peer = id.map { Array($0) } }
            }
            let hello = try XCTUnwrap(peer, "\(file): the worker said hello")
            XCTAssertTrue(try router.send(prefix: hello, count: welcome.count, timeout: .seconds(5)) { $0.copyBytes(from: welcome) })
            let result = worker.wait(timeout: 30)
            XCTAssertEqual(result.status, 1, "\(file): \(result.errors)")
            XCTAssertTrue(result.errors.contains("the coordinator at \(endpoint)"), "\(file): \(result.errors)")
            XCTAssertTrue(result.errors.contains("refuses") && result.errors.contains(field), "\(file): \(result.errors)")
        }
    }
}
