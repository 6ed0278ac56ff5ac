// What `dlmodel` accepts as MODEL: a model file, a checkpoint, or a run directory (its
// model.safetensors). A checkpoint holds the weights and the job but not what the data preparation
// found (feature names, classes, standardization), so that is prepared again from the job's CSV,
// which must still be the file the checkpoint was trained on; the preprocessing fitted again must
// be the one the checkpoint holds (Resumption.check).

import DLData
import DLTraining
import Foundation

extension ModelFile {
    /// The model at `path`: a model file, a checkpoint, or a run directory.
    public static func load(from path: String) throws -> ModelFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RunError.badModelFile(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            let model = (path as NSString).appendingPathComponent("model.safetensors")
            guard FileManager.default.fileExists(atPath: model) else {
                throw RunError.badModelFile(
                    path: path, reason: "the run directory has no model.safetensors (the run has not finished); give one of its checkpoints instead")
            }
            return try read(path: model)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, maximum: Checkpoint.maximumFileSize, bound: "a model file or checkpoint can take")
        } catch {
            throw RunError.badModelFile(path: path, reason: "\(error)")
        }
        let file = try SafeTensors(decoding: bytes, path: path)
        guard file.metadata["format"] == Checkpoint.format else { return try ModelFile(file, path: path) }
        let checkpoint = try Checkpoint(decoding: bytes, path: path)
        let job = try TrainingJob(checkpoint.settings)
        try Resumption.check(job, against: checkpoint, path: path)
        return ModelFile(
            job: job, parameters: checkpoint.progress(for: job).finalParameters, epochs: checkpoint.position.epoch,
            learningRate: checkpoint.optimizer.learningRate)
    }
}
