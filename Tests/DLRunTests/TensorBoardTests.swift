// TensorBoard's event files: the framing and the records byte for byte against a file Keras 3.15's
// TensorBoard callback wrote (TF 2.21), and a run's files read by the `tensorboard` package's own
// readers (both CRCs checked record by record), every value equal to metrics.jsonl's as float32,
// also for --log-steps and after a resume; the run names the files' place as it starts.

import DLCore
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class TensorBoardTests: XCTestCase {
    private func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    func testCRC32CAndItsMaskAreTensorFlows() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        // The masked CRC of the length 62, little-endian, as Keras's file holds it.
        XCTAssertEqual(CRC32C.masked(bytes("3e00000000000000")), 0xE740_D2D9)
    }

    func testTheVersionRecordIsTheOneKerasWrites() throws {
        // The first record of train/events.out.tfevents.1796108764.vm.1973.0.v2, written by Keras.
        let keras = bytes(
            "3e00000000000000d9d240e709000000779cc3da411a0d627261696e2e4576656e743a3252240a2274656e736f72666c6f772e636f72652e7574696c2e6576656e74735f777269746572d1b80d50")
        var record: [UInt8] = []
        EventFile.frame(try EventFile.version(wallTime: 1_796_108_764).serializedBytes(), into: &record)
        XCTAssertEqual(record, keras)
    }

    func testAnEpochValueIsTheEventKerasWrites() throws {
        // epoch_loss at step 1 in Keras's train/ file.
        let keras = bytes(
            "095df91a789cc3da4110012a270a250a0a65706f63685f6c6f7373420a0801120022040acd803e4a0b0a090a077363616c617273")
        let wallTime = Double(bitPattern: UInt64(littleEndian: bytes("5df91a789cc3da41").withUnsafeBytes { $0.load(as: UInt64.self) }))
        let value = Float(bitPattern: UInt32(littleEndian: bytes("0acd803e").withUnsafeBytes { $0.load(as: UInt32.self) }))
        let event = TensorBoardLog.scalar("epoch_loss", Double(value), step: 1, wallTime: wallTime)
        XCTAssertEqual(try event.serializedBytes() as [UInt8], keras)
    }

    /// The epoch values TensorBoard should show for `history`: each value as float32, by tag.
    private func expected(_ history: [EpochReport], validation: Bool) -> [String: [[Double]]] {
        var tags: [String: [[Double]]] = [:]
        for report in history {
            for value in report.values where value.name.hasPrefix("val_") == validation {
                let name = validation ? String(value.name.dropFirst(4)) : value.name
                tags["epoch_" + name, default: []].append([Double(report.epoch - 1), Double(Float(value.value))])
            }
        }
        return tags
    }

    func testARunsEventFilesHoldEveryValueOfMetricsJsonl() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 4
        let (history, _) = try TrainingRun(settings: settings, runDirectory: directory, verbose: 0, logSteps: 5).runLocally()
        XCTAssertEqual(try MetricsLog.read(path: directory + "/metrics.jsonl").map(\.values), history.map(\.values))
        let log = try TensorBoardEvents.read(directory)
        XCTAssertEqual(log.files, ["train": 1, "validation": 1])

        let steps = history[0].steps
        var train = expected(history, validation: false)
        train["epoch_learning_rate"] = (0..<4).map { [Double($0), Double(Float(0.001))] }
        for tag in ["batch_loss", "batch_accuracy"] {
            let logged = try XCTUnwrap(log.train[tag], tag)
            XCTAssertEqual(logged.map { Int($0[0]) }, Array(stride(from: 5, through: 4 * steps, by: 5)), tag)
        }
        XCTAssertEqual(log.train.filter { !$0.key.hasPrefix("batch_") }, train)
        // The running mean at an epoch's last step is the epoch's value.
        if steps % 5 == 0 {
            XCTAssertEqual(log.train["batch_loss"]?.first { Int($0[0]) == steps }?[1], train["epoch_loss"]?[0][1])
        }

        var validation = expected(history, validation: true)
        for (tag, values) in validation {
            let name = tag.dropFirst("epoch_".count)
            validation["evaluation_\(name)_vs_iterations"] = values.map { [Double((Int($0[0]) + 1) * steps), $0[1]] }
        }
        XCTAssertEqual(log.validation, validation)
    }

    func testTheRunPrintsWhereToLookAtTheStart() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 1
        var text = ""
        try TrainingRun(settings: settings, runDirectory: directory, verbose: 2, output: { text += $0 }).runLocally()
        let lines = text.split(separator: "\n")
        let note = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Curves: ") })
        XCTAssertEqual(
            lines[note], "Curves: \(directory)/curves.svg (redrawn as the epochs end); TensorBoard: tensorboard --logdir \(directory)")
        XCTAssertLessThan(note, try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Epoch 1/1") }), "before the first epoch")
    }

    func testAResumedRunShowsEachEpochOnce() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 3
        try TrainingRun(settings: settings, runDirectory: directory, verbose: 0).runLocally()
        settings.epochs = 5
        let (checkpoint, path) = try Checkpointer.newest(in: directory) { _ in }
        try TrainingRun(settings: settings, runDirectory: directory, verbose: 0, resume: (checkpoint, path)).runLocally()
        let history = try MetricsLog.read(path: directory + "/metrics.jsonl")
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3, 4, 5])
        let log = try TensorBoardEvents.read(directory)
        XCTAssertEqual(log.files, ["train": 1, "validation": 1], "the first attempt's files are gone")
        XCTAssertEqual(log.train["epoch_loss"], expected(history, validation: false)["epoch_loss"])
        XCTAssertEqual(log.validation?["epoch_loss"], expected(history, validation: true)["epoch_loss"])
    }
}
