// What dlfuzz feeds hostile bytes to: every reader of input that may come from someone else. Each
// target takes any bytes and must either accept them or throw a typed error; a crash, a hang or a
// trap is a bug. The targets are the readers themselves, not copies: the CSV reader and its
// located errors, the messages as a worker and a coordinator receive them (MessageFuzzing), the
// checkpoint and model-file readers (safetensors with dltrain's metadata), and the JSON job file;
// what the last three accept is then used as the commands use it (EndToEnd). When fuzzing, messages,
// checkpoints, models and job files are mutated field by field (StructureMutator, MessageMutator).

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
            EndToEnd.resume(Array(bytes))
        case .model:
            EndToEnd.readModel(Array(bytes))
        case .job:
            guard let settings = try? JobFile.decode(Data(bytes), path: "fuzz.json") else { return }
            EndToEnd.train(settings)
        }
    }
}
