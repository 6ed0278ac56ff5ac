// Where dlmodel may write (--output). An existing file is replaced, as `-o` does for compilers,
// curl or sort, and as Keras's model.save does: naming it is the request. But never a file the
// command itself reads (predictions written over their own CSV), nor a file of a run directory (its
// model, checkpoints, metrics.jsonl, curves.svg, run.json), which would lose or mix a run. The
// writers replace a file atomically, so none is ever left half-written.

import Foundation

public enum OutputFile {
    /// Refuses `output` when it is one of `inputs` (the same file, by any path) or a run's file.
    public static func check(_ output: String, reading inputs: [String]) throws {
        for input in inputs where RunDirectory.sameFile(input, output) {
            throw RunError.cannotWrite(path: output, reason: "it is \(input), which this command reads; choose another --output")
        }
        let directory = (output as NSString).deletingLastPathComponent
        let name = (output as NSString).lastPathComponent
        guard isRunFileName(name), let contents = try? RunDirectoryContents(path: directory.isEmpty ? "." : directory),
            contents.holdsRun
        else { return }
        throw RunError.cannotWrite(
            path: output, reason: "it is a file of the run in \(directory.isEmpty ? "." : directory); choose another --output")
    }

    /// The names of the files a run writes and keeps.
    static func isRunFileName(_ name: String) -> Bool {
        RunDirectoryContents.runFiles.contains(name) || name == RunLock.fileName || RunDirectoryContents.checkpointSteps(name) != nil
    }
}
