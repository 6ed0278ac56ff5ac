// A generated CSV large enough that a training step's matrix products are split over threads:
// numeric features in [-1, 1] and a 0/1 label from a fixed linear rule, the same bytes every time.

import DLTraining
import Foundation

public enum SyntheticData {
    /// Writes `rows` rows of `features` features and a label (no header) to `path`.
    public static func write(rows: Int, features: Int, to path: String) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {  // xorshift64*: the file's bytes depend on nothing but the sizes
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33)
        }
        var text = ""
        text.reserveCapacity(rows * features * 8)
        for _ in 0..<rows {
            var score = 0
            for feature in 0..<features {
                let value = next() % 19_999 - 9_999  // in ten-thousandths
                score += (feature % 3 - 1) * value
                text += (value < 0 ? "-" : "") + "0.\(String(abs(value)).leftPadded(to: 4)),"
            }
            text += score > 0 ? "1\n" : "0\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

extension SyntheticData {
    /// Writes a CSV with a header: two features `a` and `b`, a text class `kind` (low, mid, high)
    /// and a numeric `size` (2a + b), 90 rows, for a softmax classifier and a regression.
    public static func writeThreeClasses(to path: String) throws {
        var text = "a,b,kind,size\n"
        for row in 0..<90 {
            let a = Double(row % 3) + Double(row) / 100, b = Double((row * 7) % 5)
            text += "\(a),\(b),\(["low", "mid", "high"][row % 3]),\(a * 2 + b)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

extension JobSettings {
    /// A job on a synthetic file (`SyntheticData.write`, 64 features): 64 -> 128 relu -> 128 relu ->
    /// 1 sigmoid, binary cross-entropy, Adam, batch 256, one epoch. Its products are large enough to
    /// be split over three threads (and small enough for a debug build to train in a second).
    public static func wideSynthetic(data: String) -> JobSettings {
        var settings = JobSettings()
        settings.data = data
        settings.header = false
        settings.layers = "128:relu,128:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.batchSize = 256
        settings.epochs = 1
        return settings
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
