// SHA-256 and data fingerprints checked against the published FIPS 180-4 vectors, against
// the system's sha256sum on random input, and against the recorded fingerprint of the
// repository's data set, so a wrong padding or block boundary cannot hide behind one case.

import DLTestSupport
import Foundation
import XCTest

@testable import DLData

final class SHA256Tests: XCTestCase {
    private func hexDigest(_ text: String) -> String {
        SHA256.hex(SHA256.hash(Array(text.utf8)))
    }

    func testNISTVectors() {
        XCTAssertEqual(hexDigest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hexDigest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            hexDigest(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            ),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionAs() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))), expected)

        // The same message fed in 1,000 updates of 1,000 bytes each.
        var hasher = SHA256()
        let thousand = [UInt8](repeating: 0x61, count: 1_000)
        for _ in 0..<1_000 { hasher.update(thousand) }
        XCTAssertEqual(SHA256.hex(hasher.finalize()), expected)
    }

    func testDigestIs32Bytes() {
        XCTAssertEqual(SHA256.hash([]).count, 32)
        XCTAssertEqual(SHA256.hash([UInt8](repeating: 7, count: 1_000)).count, 32)
    }

    func testHexIsLowercaseTwoDigitsPerByte() {
        XCTAssertEqual(SHA256.hex([]), "")
        XCTAssertEqual(SHA256.hex([0x00, 0x0f, 0xa0, 0x9b, 0xff]), "000fa09bff")
    }

    func testFixedChunkSizesMatchOneCall() {
        var generator = TestGenerator(seed: 1)
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1_000, 4_099] {
            let message = randomBytes(length, using: &generator)
            let expected = SHA256.hash(message)
            for chunkSize in [1, 63, 64, 65] {
                var hasher = SHA256()
                var start = 0
                while start < message.count {
                    let end = min(start + chunkSize, message.count)
                    hasher.update(Array(message[start..<end]))
                    start = end
                }
                XCTAssertEqual(hasher.finalize(), expected, "length \(length), chunks of \(chunkSize)")
            }
        }
    }

    func testRandomSplitsMatchOneCall() {
        var generator = TestGenerator(seed: 2)
        for trial in 0..<200 {
            let message = randomBytes(Int.random(in: 0...700, using: &generator), using: &generator)
            var hasher = SHA256()
            var start = 0
            var sizes: [Int] = []
            while start < message.count {
                // Empty updates are allowed and must change nothing.
                let end = min(start + Int.random(in: 0...150, using: &generator), message.count)
                message[start..<end].withUnsafeBytes { hasher.update($0) }
                sizes.append(end - start)
                start = end
            }
            XCTAssertEqual(
                hasher.finalize(), SHA256.hash(message), "trial \(trial), length \(message.count), chunks \(sizes)")
        }
    }

    func testUnalignedInput() {
        // Blocks are read straight from the caller's memory, which need not be word-aligned.
        var generator = TestGenerator(seed: 3)
        let message = randomBytes(1_000, using: &generator)
        let padded = [0] + message
        for offset in 0..<8 {
            let slice = Array(message[offset...])
            let digest = padded.withUnsafeBytes { raw -> [UInt8] in
                var hasher = SHA256()
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[(1 + offset)...]))
                return hasher.finalize()
            }
            XCTAssertEqual(digest, SHA256.hash(slice), "offset \(offset)")
        }
    }

    func testRandomInputsMatchSha256sum() throws {
        var generator = TestGenerator(seed: 4)
        // The padding edges first, then random lengths.
        var lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300]
        while lengths.count < 40 { lengths.append(Int.random(in: 0...300, using: &generator)) }
        let messages = lengths.map { randomBytes($0, using: &generator) }
        let expected = try sha256sum(messages)
        XCTAssertEqual(expected.count, messages.count)
        for (index, message) in messages.enumerated() where index < expected.count {
            XCTAssertEqual(SHA256.hex(SHA256.hash(message)), expected[index], "length \(message.count)")
        }
    }

    func testFingerprintOfDataset() throws {
        let path = Repository.root + "/dataset/ThoraricSurgery.csv"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let fingerprint = data.withUnsafeBytes { DataFingerprint(bytes: $0) }
        let expected = DataFingerprint(
            size: 21257, sha256: "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379")
        XCTAssertEqual(fingerprint, expected)
        XCTAssertEqual(fingerprint.description, "21257 bytes, sha256 b51f69e6…")
    }

    func testFingerprintOfNothing() {
        let fingerprint = DataFingerprint(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        XCTAssertEqual(fingerprint.size, 0)
        XCTAssertEqual(fingerprint.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(fingerprint.description, "0 bytes, sha256 e3b0c442…")
    }

    func testFingerprintsDifferBySizeOrDigest() {
        let digest = "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379"
        XCTAssertNotEqual(DataFingerprint(size: 21257, sha256: digest), DataFingerprint(size: 21258, sha256: digest))
        XCTAssertNotEqual(
            DataFingerprint(size: 21257, sha256: digest),
            DataFingerprint(size: 21257, sha256: "961ac0a6819e22244cd3a3cf5a632c681317931dad1ef9997b79cb38e4de1abd"))
    }

    func testFingerprintCodableRoundTrip() throws {
        let fingerprint = DataFingerprint(
            size: 21257, sha256: "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379")
        let encoded = try JSONEncoder().encode(fingerprint)
        XCTAssertEqual(try JSONDecoder().decode(DataFingerprint.self, from: encoded), fingerprint)
        let object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any]
        XCTAssertEqual(object?["size"] as? Int, 21257)
        XCTAssertEqual(object?["sha256"] as? String, fingerprint.sha256)
    }

    // MARK: - Helpers

    private func randomBytes(_ count: Int, using generator: inout TestGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The digests that /usr/bin/sha256sum prints for `messages`, each written to its own file, in order.
    private func sha256sum(_ messages: [[UInt8]]) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, message) in messages.enumerated() {
            let file = directory.appendingPathComponent("\(index).bin")
            try Data(message).write(to: file)
            paths.append(file.path)
        }

        // One run for all files: starting a process costs far more than hashing a few hundred bytes.
        let result = try runProcess("/usr/bin/sha256sum", paths, timeout: 60)
        XCTAssertEqual(result.status, 0, String(decoding: result.errors, as: UTF8.self))
        // Each line is "<64 hex digits>  <path>", in argument order.
        return String(decoding: result.output, as: UTF8.self).split(separator: "\n").map { String($0.prefix(64)) }
    }
}

/// SplitMix64, so that any failure reproduces with the same bytes.
private struct TestGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
