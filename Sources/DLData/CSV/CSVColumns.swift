// The parsed contents of a CSV file: the columns a caller asked for, in the order asked.

public struct CSVColumns: Sendable {
    public let rowCount: Int
    /// rowCount x (number of feature columns), row-major, in the requested column order.
    public private(set) var features: [Float]
    /// One per requested label column, in the requested order.
    public let labels: [LabelColumn]
    /// The 1-based file line of each row, for messages about rows found bad later.
    public let lineNumbers: [Int32]
    /// The size and SHA-256 of the bytes parsed, which a checkpoint records to recognize the data.
    public let fingerprint: DataFingerprint

    /// The features, leaving none behind, so that the caller holds the only reference and can
    /// change them without a copy.
    mutating func takeFeatures() -> [Float] {
        defer { features = [] }
        return features
    }
}

public enum LabelColumn: Sendable, Equatable {
    /// Every cell is a number.
    case numbers([Float])
    /// Text labels: `names` sorted ascending by their UTF-8 bytes; each code indexes `names`.
    case classes(codes: [Int32], names: [String])
}
