// What can stop an export: a model the target format cannot express, or a library failing to
// write it.

public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// libhdf5 failed while building the Keras weights file.
    case hdf5(String)
    /// ZIPFoundation failed while building the .keras archive.
    case zip(String)
    /// A feature whose encoding needs a FarmHash Fingerprint64 (Keras's Hashing, and StringLookup
    /// with more than one out-of-vocabulary index), which no ONNX operator computes.
    /// `why` says which part of the feature hashes.
    case onnxCannotHash(feature: String, why: String)
    /// A cross whose every combination of indices would be a table in the ONNX file, larger than
    /// `bound` entries.
    case crossTooLarge(cross: String, combinations: Int, bound: Int)
    /// A column whose name the exported graph already uses for something else (its output, a layer).
    case nameClash(column: String, format: String)

    public var description: String {
        switch self {
        case let .hdf5(what): return "cannot write the Keras weights (libhdf5): \(what)"
        case let .zip(what): return "cannot write the .keras archive: \(what)"
        case let .onnxCannotHash(feature, why):
            return """
                cannot export \(feature) to ONNX: \(why) with FarmHash Fingerprint64, as Keras does, and no ONNX \
                operator computes it. Export with --format keras (Keras's Hashing layers compute it), or retrain \
                with the column typed string_categorical (with num_oov_indices=1) or integer_categorical, whose \
                vocabulary ONNX looks up
                """
        case let .crossTooLarge(cross, combinations, bound):
            return """
                cannot export the cross \(cross) to ONNX: its \(combinations) combinations of indices would each be \
                an entry of a table in the file (at most \(bound)). Export with --format keras (Keras's \
                HashedCrossing computes it), or retrain with fewer categories in the crossed columns (--feature-types \
                ...:max_tokens=N)
                """
        case let .nameClash(column, format):
            return """
                cannot export to \(format): the column \(column) has the name of a part of the exported model; \
                rename the column in the data and retrain
                """
        }
    }
}
