// The job's defaults for every Dense layer (--kernel-regularizer, --bias-regularizer,
// --kernel-initializer, --bias-initializer; job-file keys of the same names), parsed: what a layer
// of --layers does not set itself, and what the output layer `auto` chooses gets.

import DLCore

extension JobSettings {
    /// The fit settings' layer defaults, each refused under its job-file key when it does not parse.
    public func layerDefaults() throws(JobError) -> LayerDefaults {
        var defaults = LayerDefaults()
        defaults.kernelRegularizer = try Self.parsed(fit.kernelRegularizer, key: "kernel_regularizer", Regularizer.parse)
        defaults.biasRegularizer = try Self.parsed(fit.biasRegularizer, key: "bias_regularizer", Regularizer.parse)
        if let initializer = try Self.parsed(fit.kernelInitializer, key: "kernel_initializer", Initializer.init(name:)) {
            defaults.kernelInitializer = initializer
        }
        if let initializer = try Self.parsed(fit.biasInitializer, key: "bias_initializer", Initializer.init(name:)) {
            guard initializer.fitsVector else {
                throw .badSetting(
                    "bias_initializer", fit.biasInitializer ?? "", "\(ModelSpecError.initializerNeedsMatrix(initializer.rawValue))")
            }
            defaults.biasInitializer = initializer
        }
        return defaults
    }

    private static func parsed<T>(
        _ text: String?, key: String, _ parse: (String) throws(ModelSpecError) -> T
    ) throws(JobError) -> T? {
        guard let text else { return nil }
        do {
            return try parse(text)
        } catch {
            throw .badSetting(key, text, "\(error)")
        }
    }
}
