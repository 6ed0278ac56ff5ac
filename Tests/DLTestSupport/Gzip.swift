// Gzip-compressed test data made by the gzip program itself (an Essential Debian package, so on
// every machine the tests run on): the reader is checked against what users' files hold, not
// against bytes made by the same zlib calls it reads them with.

import Foundation

public enum Gzip {
    /// `bytes` as `gzip -c -n` compresses them (-n: no name or time in the header, so the same
    /// input gives the same bytes), at `level` 1 to 9.
    public static func compress(_ bytes: [UInt8], level: Int = 6) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-gzip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/input"
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let result = try runProcess("/bin/gzip", ["-c", "-n", "-\(level)", input], timeout: 60)
        guard result.status == 0 else { throw ChildProcessError(description: "gzip failed: \(result.errorText)") }
        return Array(result.output)
    }

    /// Writes `text` compressed to `path`.
    public static func write(_ text: String, to path: String) throws {
        try Data(try compress(Array(text.utf8))).write(to: URL(fileURLWithPath: path))
    }
}
