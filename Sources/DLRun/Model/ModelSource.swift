// What `dlmodel` accepts as MODEL: a model file, a checkpoint, or a run directory (its
// model.safetensors). A checkpoint holds the weights and the job but not what the data preparation
// found (feature names, classes, standardization), so that is prepared again from the job's CSV,
// which must still be the file the checkpoint was trained on.

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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.badModelFile(path: path, reason: "cannot read the file")
        }
        let file = try SafeTensors(decoding: Array(data), path: path)
        guard file.metadata["format"] == Checkpoint.format else { return try ModelFile(file, path: path) }
        let checkpoint = try Checkpoint(decoding: Array(data), path: path)
        let job = try TrainingJob(checkpoint.settings)
        try Resumption.check(job, against: checkpoint)
        return ModelFile(job: job, parameters: checkpoint.progress(for: job).finalParameters, epochs: checkpoint.position.epoch)
    }
}
