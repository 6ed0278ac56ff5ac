// dlcoord's options for the rest of Keras's `fit`: weight regularization and initializers for every
// Dense layer, class and sample weights, a learning-rate schedule and ReduceLROnPlateau. Each
// overrides the job file's key of the same name; each is checked, naming its flag, before training.

import ArgumentParser
import DLTraining

struct FitOptions: ParsableArguments {
    @Option(name: .customLong("kernel-regularizer"), help: ArgumentHelp(
        "A penalty on every Dense layer's kernel, as Keras's kernel_regularizer: l1:V, l2:V or l1_l2:l1=V,l2=V "
            + "(a layer's own, written 64:relu:l2=V in --layers, wins) (default: none).",
        valueName: "l2:0.001"))
    var kernelRegularizer: String?

    @Option(name: .customLong("bias-regularizer"), help: ArgumentHelp(
        "The same on every Dense layer's bias (Keras's bias_regularizer) (default: none).", valueName: "l2:0.001"))
    var biasRegularizer: String?

    @Option(name: .customLong("kernel-initializer"), help: ArgumentHelp(
        "Keras's initializer for every Dense layer's kernel without its own: glorot_uniform, glorot_normal, he_uniform, "
            + "he_normal, lecun_uniform, lecun_normal, random_normal, random_uniform, truncated_normal, orthogonal, "
            + "identity, zeros, ones (default: glorot_uniform).",
        valueName: "name"))
    var kernelInitializer: String?

    @Option(name: .customLong("bias-initializer"), help: ArgumentHelp(
        "Keras's initializer for every Dense layer's bias without its own (default: zeros).", valueName: "name"))
    var biasInitializer: String?

    @Option(name: .customLong("class-weight"), help: ArgumentHelp(
        "Weights of the label's classes in the training loss, as Keras's fit(class_weight=...): balanced "
            + "(scikit-learn's compute_class_weight over the training rows: rows / (classes x rows of the class)) or "
            + "CLASS:W,... by the label's class names or indices (classes not named weigh 1); not with "
            + "--sample-weight-column (default: none).",
        valueName: "balanced|class:w,..."))
    var classWeight: String?

    @Option(name: .customLong("sample-weight-column"), help: ArgumentHelp(
        "A column of numbers >= 0 (not a feature) that weighs each row's loss in training and validation, as Keras's "
            + "fit(sample_weight=...); the metrics stay unweighted, as Keras's compile(metrics=...) (default: none).",
        valueName: "column"))
    var sampleWeightColumn: String?

    @Option(name: .customLong("lr-schedule"), help: ArgumentHelp(
        "A Keras learning-rate schedule, counted in optimizer steps: NAME:ARG=VALUE,... with NAME exponential_decay, "
            + "inverse_time_decay, piecewise_constant_decay, polynomial_decay, cosine_decay or cosine_decay_restarts and "
            + "Keras's argument names (initial_learning_rate defaults to --learning-rate; lists as boundaries=100/200), "
            + "e.g. cosine_decay:decay_steps=1000,warmup_steps=100,warmup_target=0.01 (default: none, a constant rate).",
        valueName: "name:arg=v,..."))
    var lrSchedule: String?

    @Option(name: .customLong("reduce-lr-on-plateau"), help: ArgumentHelp(
        "Keras's ReduceLROnPlateau: ARG=VALUE,... of monitor, factor, patience, mode, min_delta, cooldown, min_lr "
            + "(Keras's defaults: monitor=val_loss,factor=0.1,patience=10,mode=auto,min_delta=0.0001,cooldown=0,min_lr=0), "
            + "or defaults; not with --lr-schedule (default: off).",
        valueName: "arg=v,..."))
    var reduceLROnPlateau: String?

    func validate() throws {
        var settings = JobSettings()
        apply(to: &settings)
        try JobFlags.check(settings)
    }

    func apply(to settings: inout JobSettings) {
        if let kernelRegularizer { settings.fit.kernelRegularizer = kernelRegularizer }
        if let biasRegularizer { settings.fit.biasRegularizer = biasRegularizer }
        if let kernelInitializer { settings.fit.kernelInitializer = kernelInitializer }
        if let biasInitializer { settings.fit.biasInitializer = biasInitializer }
        if let classWeight { settings.fit.classWeight = classWeight }
        if let sampleWeightColumn { settings.fit.sampleWeightColumn = sampleWeightColumn }
        if let lrSchedule { settings.fit.lrSchedule = lrSchedule }
        if let reduceLROnPlateau { settings.fit.reduceLROnPlateau = reduceLROnPlateau }
    }
}
