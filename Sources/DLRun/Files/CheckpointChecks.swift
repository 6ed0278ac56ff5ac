// What a checkpoint must be for a run to continue from it as if it had never stopped. Its checksum
// proves it is whole, not that dltrain wrote it: anyone can edit a checkpoint and compute the
// checksum again. So every value is checked against what a run writes: on reading, what the file
// itself shows (counts, ranges, the early-stopping and ReduceLROnPlateau states, the learning rate);
// on resuming, what only the job knows (the steps of an epoch, the metrics, the rules).

import DLCore
import DLPreprocessing
import DLTraining

extension Checkpoint {
    /// What no run writes, or nil.
    var inconsistency: String? {
        guard settings.epochs >= 1, settings.batchSize >= 1, (settings.shards ?? 0) >= 1 else {
            return "settings: epochs \(settings.epochs), batch size \(settings.batchSize) and shards "
                + "\(settings.shards.map(String.init) ?? "unset"), each at least 1 in a run"
        }
        let hex = Set("0123456789abcdef".utf8)
        guard data.size >= 0, data.sha256.utf8.count == 64, data.sha256.utf8.allSatisfy(hex.contains) else {
            return "data: \(data.size) bytes with SHA-256 \(data.sha256)"
        }
        guard position.epoch >= 0, position.step >= 0, position.epoch <= settings.epochs else {
            return "position: epoch \(position.epoch), step \(position.step) in a run of \(settings.epochs) epochs"
        }
        guard optimizer.iterations >= 0 else { return "optimizer: \(optimizer.iterations) iterations" }
        guard history.count == position.epoch else {
            return "history: \(history.count) epoch report(s) for \(position.epoch) finished epoch(s)"
        }
        for (index, report) in history.enumerated() {
            guard report.epoch == index + 1, report.steps >= 1, report.steps == history[0].steps,
                report.seconds.isFinite, report.seconds >= 0
            else { return "history: the report of epoch \(index + 1) says epoch \(report.epoch), \(report.steps) steps, \(report.seconds) s" }
        }
        guard epochSums.count >= 2, !epochSums.contains(where: \.isNaN) else {
            return "epoch sums: \(epochSums.count) value(s), NaN among them or too few"
        }
        // An epoch with no step applied has added nothing yet.
        guard position.step > 0 || epochSums.allSatisfy({ $0 == 0 }) else {
            return "epoch sums: not zero at step 0 of an epoch"
        }
        if let reason = earlyStopping.flatMap(inconsistency) { return reason }
        return learningRateInconsistency
    }

    private func inconsistency(_ stopping: EarlyStopping) -> String? {
        let rule = stopping.rule
        guard rule.patience >= 0, rule.minDelta.isFinite, rule.minDelta >= 0, !rule.monitor.isEmpty else {
            return "early stopping: patience \(rule.patience), min_delta \(rule.minDelta), monitor \"\(rule.monitor)\""
        }
        let finished = position.epoch
        // Every finished epoch reports the monitored value, so a best exists from the first epoch on,
        // and with restore_best_weights so do its weights.
        let bestKept = finished > 0 && rule.restoreBestWeights
        guard (stopping.best != nil) == (finished > 0), (stopping.bestParameters != nil) == bestKept else {
            return "early stopping: a best value \(stopping.best.map { "\($0)" } ?? "missing") and best weights "
                + "\(stopping.bestParameters == nil ? "missing" : "present") after \(finished) epoch(s)"
        }
        guard stopping.bestEpoch >= 0, stopping.bestEpoch < max(finished, 1), stopping.wait >= 0, stopping.wait <= finished else {
            return "early stopping: best epoch \(stopping.bestEpoch) and wait \(stopping.wait) after \(finished) epoch(s)"
        }
        // Training stops right after the epoch that stops it, whose checkpoint is the last.
        if let stopped = stopping.stoppedEpoch, stopped != finished - 1 || position.step != 0 {
            return "early stopping: stopped after 0-based epoch \(stopped), but the checkpoint stands at \(position)"
        }
        return nil
    }

    /// What does not fit `job`, the job being resumed (with the checkpoint's data and model), or nil.
    func inconsistency(for job: TrainingJob) -> String? {
        let steps = job.schedule.stepsPerEpoch
        guard parameters.count == job.model.layout.count, epochSums.count == job.metrics.slotCount else {
            return "\(parameters.count) parameters and \(epochSums.count) epoch sums; the job has "
                + "\(job.model.layout.count) and \(job.metrics.slotCount)"
        }
        guard preprocessing == job.data.preprocessing else {
            func text(_ preprocessing: Preprocessing?) -> String {
                preprocessing.map { "\($0.columns.count) column(s) making \($0.outputWidth) input(s)" } ?? "none"
            }
            return "preprocessing: fitted again from the data it is \(text(job.data.preprocessing)), the checkpoint's is "
                + "\(text(preprocessing))\(preprocessing == nil || job.data.preprocessing == nil ? "" : ", with other values"); "
                + "the model can only be used and trained on with the preprocessing it was trained with"
        }
        guard position.step <= steps else { return "position: \(position.step) steps done of an epoch of \(steps)" }
        // One optimizer update per step applied.
        let (before, epochsOverflow) = position.epoch.multipliedReportingOverflow(by: steps)
        let (applied, stepsOverflow) = before.addingReportingOverflow(position.step)
        guard !epochsOverflow, !stepsOverflow, optimizer.iterations == applied else {
            return "optimizer: \(optimizer.iterations) iterations at \(position) of epochs of \(steps) steps"
        }
        let trained = job.metrics.results(job.metrics.makeSums()).map(\.name)
        let names = trained + (job.data.validationCount > 0 ? trained.map { "val_" + $0 } : [])
            + (job.settings.reportsLearningRate ? ["learning_rate"] : [])
        if let report = history.first(where: { $0.steps != steps || $0.values.map(\.name) != names }) {
            return "history: epoch \(report.epoch) reports \(report.values.map(\.name)) over \(report.steps) steps; "
                + "the job reports \(names) over \(steps)"
        }
        guard earlyStopping?.rule == job.earlyStopping else {
            return "early stopping: \(Self.text(earlyStopping?.rule)); the job's: \(Self.text(job.earlyStopping))"
        }
        guard reduceLROnPlateau?.rule == job.reduceLROnPlateau else {
            return "ReduceLROnPlateau: \(reduceLROnPlateau?.rule.text ?? "none"); the job's: \(job.reduceLROnPlateau?.text ?? "none")"
        }
        return nil
    }

    /// A rule under the job file's keys.
    private static func text(_ rule: EarlyStopping.Rule?) -> String {
        guard let rule else { return "none" }
        return "patience \(rule.patience), monitor \(rule.monitor), min_delta \(rule.minDelta), restore_best_weights \(rule.restoreBestWeights)"
    }
}

extension Checkpoint {
    /// What no run writes of ReduceLROnPlateau's state and the rate it sets, or nil: the rate is
    /// the configuration's unless ReduceLROnPlateau lowered it (a float32 above 0, never above the
    /// configuration's); its counters stay within what the epochs done allow.
    var learningRateInconsistency: String? {
        let rate = optimizer.learningRate, configured = optimizer.config.learningRate
        guard rate.isFinite, rate > 0, rate <= configured, rate == configured || reduceLROnPlateau != nil else {
            return "learning rate: \(rate) for an optimizer configured with \(configured)"
                + (reduceLROnPlateau == nil ? " and no ReduceLROnPlateau to lower it" : "")
        }
        guard let plateau = reduceLROnPlateau else { return nil }
        let rule = plateau.rule, most = ReduceLROnPlateau.Rule.maximumEpochs
        guard !rule.monitor.isEmpty, rule.factor > 0, rule.factor < 1, rule.minDelta.isFinite, rule.minDelta >= 0,
            rule.minLR.isFinite, rule.minLR >= 0, (0...most).contains(rule.patience), (0...most).contains(rule.cooldown)
        else { return "ReduceLROnPlateau: \(rule.text)" }
        let finished = position.epoch
        // Every finished epoch reports the monitored value, so a best exists from the first on.
        guard (plateau.best != nil) == (finished > 0), (0...finished).contains(plateau.wait),
            (0...rule.cooldown).contains(plateau.cooldownCounter)
        else {
            return "ReduceLROnPlateau: best \(plateau.best.map { "\($0)" } ?? "missing"), wait \(plateau.wait) and cooldown "
                + "counter \(plateau.cooldownCounter) after \(finished) epoch(s), cooldown \(rule.cooldown)"
        }
        return nil
    }
}
