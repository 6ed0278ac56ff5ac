// Where `dlmodel predict` writes: standard output, or a file that appears only once complete
// (written beside it under a temporary name, then renamed), in blocks rather than a write per line.

import DLRun
import Foundation

final class LineSink {
    private let path: String?
    private let handle: FileHandle
    private let partial: String?
    private var buffer = Data()

    init(path: String?) throws {
        self.path = path
        guard let path else {
            handle = FileHandle.standardOutput
            partial = nil
            return
        }
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
            let handle = FileHandle(forWritingAtPath: partial)
        else { throw RunError.cannotWrite(path: path, reason: "cannot create \(partial)") }
        self.handle = handle
        self.partial = partial
    }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes what is left; a file output then takes its name.
    func finish() throws {
        try flush()
        guard let path, let partial else { return }
        try handle.close()
        if rename(partial, path) != 0 {
            throw RunError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Removes the unfinished file, after a failure.
    func discard() {
        guard let partial else { return }
        try? handle.close()
        unlink(partial)
    }

    private func flush() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RunError.cannotWrite(path: path ?? "standard output", reason: "\(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
