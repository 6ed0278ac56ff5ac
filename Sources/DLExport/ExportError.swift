// What can stop an export: a model the target format cannot express, or a library failing to
// write it.

public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// libhdf5 failed while building the Keras weights file.
    case hdf5(String)
    /// ZIPFoundation failed while building the .keras archive.
    case zip(String)

    public var description: String {
        switch self {
        case let .hdf5(what): return "cannot write the Keras weights (libhdf5): \(what)"
        case let .zip(what): return "cannot write the .keras archive: \(what)"
        }
    }
}
