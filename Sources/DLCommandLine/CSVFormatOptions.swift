// The options every command that reads a CSV takes for its format (dlcoord's training data,
// dlmodel's data to predict), declared once so they are named and explained the same everywhere.

import ArgumentParser
import DLTraining

public struct CSVFormatOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Whether the first row is a header (detected when neither is given).")
    public var header: Bool?

    @Option(help: ArgumentHelp("The field separator, one character (tab or \\t for a tab; default: \(JobSettings().delimiter)).", valueName: "char"))
    public var delimiter: String?

    @Flag(name: .customLong("allow-non-finite"), help: "Accept NaN and infinite values in the data instead of rejecting them.")
    public var allowNonFinite = false

    public init() {}

    /// Sets what was given on `settings`, which checks it with the rest (`JobSettings.csvOptions`).
    public func apply(to settings: inout JobSettings) {
        if let header { settings.header = header }
        if let delimiter { settings.delimiter = delimiter == "\\t" || delimiter == "tab" ? "\t" : delimiter }
        if allowNonFinite { settings.allowNonFinite = true }
    }
}
