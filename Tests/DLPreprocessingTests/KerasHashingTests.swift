// KerasHashing against its two references, exactly (hashes have no tolerance): FarmHash's own
// published Fingerprint64 values (farmhash.cc's self-test of farmhashna::Hash64), and what
// keras 3.15.1 + tensorflow 2.20 compute for the same inputs (Tests/Reference/keras_hashing.json,
// written by Tests/Reference/record_keras_hashing.py).

import DLPreprocessing
import Foundation
import XCTest

final class KerasHashingTests: XCTestCase {
    // MARK: FarmHash's published values

    /// farmhash.cc's self-test input: 1 MiB from its own generator.
    private static let farmHashTestData: [UInt8] = {
        let k0: UInt64 = 0xC3A5_C85C_97CB_3127
        var a: UInt64 = 9
        var b: UInt64 = 777
        return (0..<(1 << 20)).map { i in
            a = a &+ b
            b = b &+ a
            a = (a ^ (a >> 41)) &* k0
            b = (b ^ (b >> 41)) &* k0 &+ UInt64(i)
            return UInt8(truncatingIfNeeded: b >> 37)
        }
    }()

    func testFingerprint64GivesFarmHashsPublishedValuesInEveryLengthClass() {
        // (offset, length, Hash64) from farmhashnaTest's expected values: lengths 0...298 at
        // offset length², then longer prefixes up to the whole MiB.
        let published: [(Int, Int, UInt64)] = [
            (0, 0, 0x9AE1_6A3B_2F90_404F), (1, 1, 0x5411_50E8_7F41_5E96), (4, 2, 0x0F37_86A4_B258_27C1),
            (9, 3, 0xEF92_3A7A_1AF7_8EAB), (16, 4, 0x11DF_5925_96F4_1D88), (25, 5, 0x831F_448B_DC56_00B3),
            (49, 7, 0x1B5A_063F_B4C7_F9F1), (64, 8, 0xA0F1_0149_A0E5_38D6), (81, 9, 0xFB8D_9C70_660B_910B),
            (225, 15, 0x4447_3E03_BE30_6C88), (256, 16, 0x03EA_D5F2_1D34_4056), (289, 17, 0x6ABB_FDE3_7EE0_3B5B),
            (576, 24, 0x36A0_97AA_4951_9D97), (961, 31, 0x55BD_B0E7_1E3E_DEBD), (1024, 32, 0x0782_FA1B_08B4_75E7),
            (1089, 33, 0x09DE_B3DA_5E16_B5B8), (2304, 48, 0x0160_1BBB_C1DB_4A56), (3969, 63, 0xA8ED_BFF8_5847_5437),
            (4096, 64, 0xDEF7_4BF4_C9F1_BC1B), (4225, 65, 0x3CCE_AB39_2BC3_9B3F), (10000, 100, 0x05AD_36F6_7782_5CE0),
            (16129, 127, 0x9909_6F55_F2E7_5EB0), (16384, 128, 0xF4A9_A248_B462_909D),
            (16641, 129, 0xD4F7_C858_D781_53B6), (40000, 200, 0x40F3_2EB9_0E5C_AA01),
            (65536, 256, 0x7FD2_0F14_52DF_BC03), (88804, 298, 0x2031_C84B_C57A_1A9F),
            (0, 299, 0xCC79_D4BA_95DA_7979), (0, 1468, 0xB928_3ABA_3478_A00F), (0, 7274, 0xB5FA_553B_A950_DA75),
            (0, 36105, 0xA4CD_9470_4FC2_E100), (0, 179_237, 0x16F5_6938_2632_AC90),
            (0, 889_870, 0x71F1_8BEA_3EC9_2B69), (0, 1_048_576, 0xF853_FB08_A3C2_2903),
        ]
        Self.farmHashTestData.withUnsafeBytes { data in
            for (offset, length, expected) in published {
                let slice = UnsafeRawBufferPointer(rebasing: data[offset..<(offset + length)])
                XCTAssertEqual(KerasHashing.fingerprint64(slice), expected, "offset \(offset), length \(length)")
            }
        }
    }

    // MARK: Keras and TensorFlow's values

    func testTheFixtureCoversEveryFarmHashLengthClass() throws {
        let lengths = try KerasHashingReference.load().strings.map(\.utf8Length)
        for lengthClass in [0...0, 1...3, 4...7, 8...16, 17...32, 33...64, 65...1000] {
            XCTAssertTrue(lengths.contains { lengthClass.contains($0) }, "no string of \(lengthClass) bytes")
        }
    }

    func testStringFingerprintsAreTensorFlowsFingerprint64() throws {
        for entry in try KerasHashingReference.load().strings {
            XCTAssertEqual(KerasHashing.fingerprint64(entry.text), try entry.fingerprintValue(), "\(entry.text.debugDescription)")
            let bytes = Array(entry.text.utf8)
            XCTAssertEqual(bytes.count, entry.utf8Length)
            bytes.withUnsafeBytes { XCTAssertEqual(KerasHashing.fingerprint64($0), KerasHashing.fingerprint64(entry.text)) }
        }
    }

    func testStringBucketsAreKerasHashings() throws {
        let reference = try KerasHashingReference.load()
        for entry in reference.strings {
            for (bins, expected) in zip(reference.bins, entry.buckets) {
                XCTAssertEqual(KerasHashing.bucket(entry.text, bins: bins), expected, "\(entry.text.debugDescription), \(bins) bins")
            }
        }
    }

    func testIntegerBucketsAreKerasHashingsOfTheDecimalText() throws {
        let reference = try KerasHashingReference.load()
        for entry in reference.integers {
            let value = try entry.integer()
            for (bins, expected) in zip(reference.bins, entry.buckets) {
                XCTAssertEqual(KerasHashing.bucket(value, bins: bins), expected, "\(value), \(bins) bins")
                XCTAssertEqual(KerasHashing.bucket(value, bins: bins), KerasHashing.bucket(String(value), bins: bins))
            }
        }
    }

    func testCrossBucketsAreHashedCrossings() throws {
        let reference = try KerasHashingReference.load()
        XCTAssertEqual(Set(reference.crosses.map(\.values.count)), [2, 3])
        for entry in reference.crosses {
            let values = try entry.integers()
            for (bins, expected) in zip(reference.bins, entry.buckets) {
                XCTAssertEqual(KerasHashing.crossBucket(values, bins: bins), expected, "\(values), \(bins) bins")
            }
        }
    }

    func testTheCrossDependsOnTheFeaturesOrder() {
        XCTAssertNotEqual(KerasHashing.crossBucket([1, 2], bins: 1 << 40), KerasHashing.crossBucket([2, 1], bins: 1 << 40))
    }

    func testStringOutOfVocabularyIndicesAreStringLookups() throws {
        let reference = try KerasHashingReference.load()
        for entry in reference.strings {
            for (count, expected) in zip(reference.oovCounts, entry.oovIndices) {
                XCTAssertEqual(KerasHashing.oovIndex(entry.text, oovCount: count), expected, "\(entry.text.debugDescription), \(count) OOV indices")
            }
        }
    }

    func testIntegerOutOfVocabularyIndicesAreIntegerLookupsFloorModulo() throws {
        let reference = try KerasHashingReference.load()
        for entry in reference.integers {
            let value = try entry.integer()
            for (count, expected) in zip(reference.oovCounts, entry.oovIndices) {
                XCTAssertEqual(KerasHashing.oovIndex(value, oovCount: count), expected, "\(value), \(count) OOV indices")
            }
            // IntegerLookup(oov_method="farmhash") is the integer's Hashing bucket instead.
            for (count, expected) in zip(reference.oovCounts, entry.farmhashOovIndices) {
                XCTAssertEqual(KerasHashing.bucket(value, bins: count), expected, "\(value), \(count) OOV indices (farmhash)")
            }
        }
        XCTAssertEqual(KerasHashing.oovIndex(-1, oovCount: 3), 2)
        XCTAssertEqual(KerasHashing.oovIndex(Int64.min, oovCount: 10), 2)
    }

    func testBinsBelowOneGiveBucketZeroInsteadOfTrapping() {
        for bins in [0, -1, Int.min] {
            XCTAssertEqual(KerasHashing.bucket("a", bins: bins), 0)
            XCTAssertEqual(KerasHashing.bucket(Int64(7), bins: bins), 0)
            XCTAssertEqual(KerasHashing.crossBucket([1, 2], bins: bins), 0)
            XCTAssertEqual(KerasHashing.oovIndex("a", oovCount: bins), 0)
            XCTAssertEqual(KerasHashing.oovIndex(Int64(-7), oovCount: bins), 0)
        }
    }
}

/// Tests/Reference/keras_hashing.json. 64-bit numbers are decimal strings there.
private struct KerasHashingReference: Decodable {
    struct Text: Decodable {
        let text: String
        let utf8Length: Int
        let fingerprint: String
        let buckets: [Int]
        let oovIndices: [Int]

        func fingerprintValue() throws -> UInt64 { try XCTUnwrap(UInt64(fingerprint), fingerprint) }
    }

    struct Integer: Decodable {
        let value: String
        let buckets: [Int]
        let oovIndices: [Int]
        let farmhashOovIndices: [Int]

        func integer() throws -> Int64 { try XCTUnwrap(Int64(value), value) }
    }

    struct Cross: Decodable {
        let values: [String]
        let buckets: [Int]

        func integers() throws -> [Int64] { try values.map { try XCTUnwrap(Int64($0), $0) } }
    }

    let bins: [Int]
    let oovCounts: [Int]
    let strings: [Text]
    let integers: [Integer]
    let crosses: [Cross]

    static func load() throws -> KerasHashingReference {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        url.appendPathComponent("Reference/keras_hashing.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(KerasHashingReference.self, from: Data(contentsOf: url))
    }
}
