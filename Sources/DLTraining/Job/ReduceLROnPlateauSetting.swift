// The job's ReduceLROnPlateau: its text parsed (a mistake is a bad `reduce_lr_on_plateau` setting,
// and so a usage error naming --reduce-lr-on-plateau), its monitor checked against the values each
// epoch reports, and its refusal beside a learning-rate schedule, as Keras refuses to set the rate of
// an optimizer whose rate is a schedule. Whether the epochs report `learning_rate` follows from both.

import DLCore

extension JobSettings {
    /// The rule `reduce_lr_on_plateau` states, nil when it is not set.
    func reduceLROnPlateauRule() throws(JobError) -> ReduceLROnPlateau.Rule? {
        guard let text = fit.reduceLROnPlateau else { return nil }
        let rule: ReduceLROnPlateau.Rule
        do {
            rule = try ReduceLROnPlateau.Rule(parsing: text)
        } catch {
            throw .badSetting("reduce_lr_on_plateau", text, "\(error)")
        }
        if fit.lrSchedule != nil {
            throw .badSetting(
                "reduce_lr_on_plateau", text,
                "it cannot lower the rate of a learning-rate schedule (Keras refuses to set a scheduled optimizer's "
                    + "rate); use --lr-schedule or --reduce-lr-on-plateau, not both")
        }
        return rule
    }

    /// Whether each epoch's report ends with `learning_rate`: with a schedule or ReduceLROnPlateau,
    /// as Keras's History (ReduceLROnPlateau) and TensorBoard callback log it.
    public var reportsLearningRate: Bool { fit.reduceLROnPlateau != nil || fit.lrSchedule != nil }
}

extension TrainingJob {
    static func reduceLROnPlateauRule(_ settings: JobSettings, metrics: MetricSet, validated: Bool) throws -> ReduceLROnPlateau.Rule? {
        guard let rule = try settings.reduceLROnPlateauRule() else { return nil }
        do {
            try checkMonitor(rule.monitor, metrics: metrics, validated: validated)
        } catch let JobError.badSetting(_, name, reason) {
            throw JobError.badSetting("reduce_lr_on_plateau", settings.fit.reduceLROnPlateau ?? "", "monitor=\(name): \(reason)")
        }
        return rule
    }
}
