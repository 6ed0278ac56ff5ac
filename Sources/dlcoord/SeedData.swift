// The seed job's data file when dlcoord is given no other: dataset/ThoraricSurgery.csv in the
// current directory (a clone of dltrain), else the copy installed with the executables
// (PREFIX/share/dltrain/dataset/ThoraricSurgery.csv, found from dlcoord's real file, as
// deploy/install.sh and the release archive lay it out), so that `dlcoord` with no options trains
// the seed job from any directory once installed.

import DLCore
import DLTraining
import Foundation

enum SeedData {
    /// `data` itself, unless it is the seed job's relative path and that is not in the current
    /// directory: then the installed copy, or an error that says where it looked.
    static func locate(_ data: String) throws(SeedDataError) -> String {
        let seed = JobSettings().data
        guard data == seed, !FileManager.default.fileExists(atPath: seed) else { return data }
        if let installed = InstalledFiles.shared(seed) { return installed }
        throw .notFound(
            seed, currentDirectory: FileManager.default.currentDirectoryPath, installed: InstalledFiles.sharedLocation(seed))
    }
}

enum SeedDataError: Error, CustomStringConvertible {
    /// Neither the current directory nor the installed share folder holds the seed data.
    case notFound(String, currentDirectory: String, installed: String)

    var description: String {
        switch self {
        case let .notFound(seed, currentDirectory, installed):
            "no data file: the seed job's \(seed) is neither in the current directory (\(currentDirectory)) nor installed "
                + "at \(installed); give --data FILE, run dlcoord in a clone of dltrain, or install dltrain with "
                + "deploy/install.sh (or unpack the release archive), which puts the seed data there"
        }
    }
}
