// One TensorBoard event file: TFRecord framing (the length, its masked CRC-32C, the serialized
// Event, its masked CRC-32C) around Event messages, opened with the version record TensorFlow's
// writer starts every file with. The name follows TensorFlow's, so TensorBoard orders the files
// of a directory as it does Keras's: events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2.

import Foundation
import SwiftProtobuf
import Synchronization
import TensorBoardFormat

final class EventFile {
    let path: String
    private let handle: FileHandle

    /// The files this process has opened: the last part of their names, as TensorFlow numbers them.
    private static let opened = Atomic<Int>(0)

    /// Creates a new event file in `directory` (made if missing) and writes its version record.
    init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotWrite(path: directory, reason: error.localizedDescription)
        }
        let seconds = Date().timeIntervalSince1970.rounded(.down)
        let number = Self.opened.add(1, ordering: .relaxed).oldValue
        let host = ProcessInfo.processInfo.hostName
        path = directory + "/" + String(format: "events.out.tfevents.%010d.%@.%d.%d.v2", Int(seconds), host, getpid(), number)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw RunError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } catch {
            throw RunError.cannotWrite(path: path, reason: error.localizedDescription)
        }
        try append([Self.version(wallTime: seconds)])
    }

    /// The record TensorFlow's writer opens a file with, at the whole second in the file's name.
    static func version(wallTime: Double) -> Tensorboard_Event {
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.fileVersion = "brain.Event:2"
        event.sourceMetadata.writer = "tensorflow.core.util.events_writer"
        return event
    }

    deinit { try? handle.close() }

    /// Appends `events` with one write, so a reader sees each batch whole or not yet.
    func append(_ events: [Tensorboard_Event]) throws {
        var bytes: [UInt8] = []
        for event in events {
            let data: [UInt8] = try event.serializedBytes()
            Self.frame(data, into: &bytes)
        }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw RunError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// A TFRecord: little-endian length and its masked CRC, the data and its masked CRC.
    static func frame(_ data: [UInt8], into bytes: inout [UInt8]) {
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        bytes += length
        bytes += withUnsafeBytes(of: CRC32C.masked(length).littleEndian, Array.init)
        bytes += data
        bytes += withUnsafeBytes(of: CRC32C.masked(data).littleEndian, Array.init)
    }
}
