// TestSupport.swift
// Shared helpers for the DLTransport tests: text frames, unique ipc endpoints,
// and the one generous bound every "should arrive" wait uses.

import DLTransport
import Foundation
import XCTest

/// How long a message that should arrive may take. Generous because CI machines
/// stall; tests only wait this long when they are about to fail.
let arrivalTimeout = Duration.seconds(5)

/// How long a message that must not arrive is given before concluding it did not.
let absenceTimeout = Duration.milliseconds(300)

func textFrames(_ parts: String...) -> [ZMQFrame] {
    parts.map { ZMQFrame(Array($0.utf8)) }
}

func texts(_ frames: [ZMQFrame]?) -> [String]? {
    frames?.map { String(decoding: $0.bytes, as: UTF8.self) }
}

/// An ipc endpoint no other test run uses. libzmq 4.3 leaves the socket file
/// behind when a named ipc endpoint is closed, so the test removes it.
func uniqueIPCEndpoint(removedAfter test: XCTestCase) -> String {
    let path = "/tmp/dltransport-\(UUID().uuidString).ipc"
    test.addTeardownBlock { unlink(path) }
    return "ipc://\(path)"
}
