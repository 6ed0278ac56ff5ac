// The checks of the fit settings (FitSettings) that need no data: each option's text parsed by the
// parser that training uses, so a mistake is a JobError.badSetting under its job-file key (and so
// a usage error that names its flag) before anything is read. Checks that need the data (a class
// the label does not have, a weight column that holds words) are made as the job is built.

import DLCore

extension JobSettings {
    func validateFit() throws(JobError) {
        _ = try layerDefaults()
        if let lrSchedule = fit.lrSchedule {
            // The schedule's own checks: initial_learning_rate's default does not change them.
            do { _ = try LearningRateSchedule(parsing: lrSchedule, initialLearningRate: 0.001) } catch {
                throw .badSetting("lr_schedule", lrSchedule, "\(error)")
            }
        }
        if let classWeight = fit.classWeight {
            _ = try ClassWeights.parse(classWeight)
            if fit.sampleWeightColumn != nil {
                throw .badSetting(
                    ClassWeights.key, classWeight,
                    "class weights cannot be given with sample_weight_column (Keras refuses class_weight with "
                        + "sample_weight): put each row's class weight into its weight column, or leave one of them out")
            }
        }
        if let column = fit.sampleWeightColumn, Substring(column).trimmingCharacters(in: " \t").isEmpty {
            throw .badSetting("sample_weight_column", column, "name the column of row weights by its header name or 0-based index")
        }
        _ = try reduceLROnPlateauRule()
    }
}
