// What dlfuzz feeds hostile bytes to: every reader of input that may come from someone else. Each
// target takes any bytes and must either accept them or throw a typed error; a crash, a hang or a
// trap is a bug. The targets are the readers themselves, not copies: the CSV reader and its
// located errors, the messages as a worker and a coordinator receive them (MessageFuzzing), the
// checkpoint and model-file readers (safetensors with dltrain's metadata), and the JSON job file.

import DLData
import DLProtocol
import DLRun
import Foundation

enum FuzzTarget: String, CaseIterable {
    case csv, message, checkpoint, model, job

    /// Reads `bytes` as this target's input; errors are the expected outcome of junk.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .csv:
            // Every column but the last as a feature, the last as the label, as training reads it.
            guard let document = try? CSVDocument(bytes: Array(bytes), path: "fuzz.csv"), document.columnCount > 1 else { return }
            _ = try? document.read(features: Array(0..<(document.columnCount - 1)), labels: [document.columnCount - 1])
        case .message:
            MessageFuzzing.consume(bytes)
        case .checkpoint:
            _ = try? Checkpoint(decoding: Array(bytes), path: "fuzz.checkpoint")
        case .model:
            guard let file = try? SafeTensors(decoding: Array(bytes), path: "fuzz.safetensors") else { return }
            _ = try? ModelFile(file, path: "fuzz.safetensors")
        case .job:
            _ = try? JobFile.decode(Data(bytes), path: "fuzz.json")
        }
    }
}
