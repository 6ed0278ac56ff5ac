"""Case 11, the options of Keras's `fit` that tabular models add, against the frameworks with the same
settings: the seed job with `--class-weight balanced` and the seed job with a Dropout layer and a cosine
learning-rate schedule, each beside Keras (bench/anchors/fit_keras_seed.py: fit(class_weight=...) with
scikit-learn's balanced weights; Dropout(0.3) and CosineDecay), wall time as case 1 measures it; and
the large job's samples/s with a Dropout after each hidden layer and an L2 kernel regularizer, beside
the same job without them and beside PyTorch with nn.Dropout and Adam's weight_decay
(bench/anchors/fit_torch_large.py), one thread per process as case 3. Its runs, summary, report section
and the figures its targets use."""

from cases import large_job_argv, run_in_rotation
from formatting import MISSING, format_number, ratio_text, table_head, table_row
from settings import LARGE_EPOCHS, LARGE_LAYERS, REPO_ANCHORS, SEED_CSV, SEED_EPOCHS
from summary import median

FIT_OPTIONS_CASE = 11
DROPOUT = 0.3
L2 = 0.001
SEED_DROPOUT_LAYERS = f"30:relu,dropout:{DROPOUT:g},1:sigmoid"
LARGE_REGULARIZED_LAYERS = f"256:relu,dropout:{DROPOUT:g},256:relu,dropout:{DROPOUT:g},1:sigmoid"
SEED_TIMEOUT_S, LARGE_TIMEOUT_S = 300, 900

# Each variant: its label in the report, and whether it is a seed-job or a large-job run.
SEED_VARIANTS = {
    "dltrain-classweight": "dltrain `dlcoord --local --class-weight balanced`",
    "keras-classweight": "Keras `fit_keras_seed.py --class-weight balanced`",
    "dltrain-dropout-cosine": "dltrain `dlcoord --local --layers {seed_layers} --lr-schedule cosine_decay:decay_steps={steps}`",
    "keras-dropout-cosine": "Keras `fit_keras_seed.py --dropout {rate:g} --cosine-decay-steps {steps}`",
}
LARGE_VARIANTS = {
    "dltrain-large-plain": "dltrain `dlcoord --local --threads 1`, no dropout, no regularizer",
    "dltrain-large-regularized": "dltrain `dlcoord --local --threads 1 --layers {large_layers} --kernel-regularizer l2:{l2:g}`",
    "torch-large-regularized": "PyTorch `fit_torch_large.py --threads 1 --dropout {rate:g} --l2 {l2:g}` "
                               "(weight_decay {decay:g} on the weights)",
}


def cosine_decay_steps(jobs):
    """The schedule decays over the whole run: every optimizer step of the seed job."""
    return SEED_EPOCHS * jobs.seed_steps


def large_regularized_argv(jobs):
    """The large job's arguments with a Dropout after each hidden layer and an L2 kernel regularizer."""
    argv = [LARGE_REGULARIZED_LAYERS if arg == LARGE_LAYERS else arg for arg in large_job_argv(jobs)]
    return argv + ["--kernel-regularizer", f"l2:{L2:g}"]


def fit_options(runner, jobs):
    print(f"== {FIT_OPTIONS_CASE}. Keras's fit options (class weights, dropout, a schedule, L2)", flush=True)
    case, steps = FIT_OPTIONS_CASE, cosine_decay_steps(jobs)
    seed_csv, one_thread = ["--csv", SEED_CSV], ["--threads", "1"]
    class_weight = ["--class-weight", "balanced"]
    dropout_cosine = ["--layers", SEED_DROPOUT_LAYERS, "--lr-schedule", f"cosine_decay:decay_steps={steps}"]
    keras_dropout_cosine = ["--dropout", f"{DROPOUT:g}", "--cosine-decay-steps", steps]
    torch_argv = ["--csv", jobs.synth, "--threads", "1", "--dropout", f"{DROPOUT:g}", "--l2", f"{L2:g}"]

    def keras(variant, argv):
        return lambda rep: runner.anchor(case, variant, rep, "fit_keras_seed.py", [*argv, *seed_csv], SEED_TIMEOUT_S,
                                         directory=REPO_ANCHORS)

    run_in_rotation(runner, {
        "classweight": lambda rep: runner.dlcoord_local(case, "dltrain-classweight", rep, class_weight, SEED_TIMEOUT_S,
                                                        jobs.seed_steps),
        "keras-classweight": keras("keras-classweight", class_weight),
        "dropout-cosine": lambda rep: runner.dlcoord_local(case, "dltrain-dropout-cosine", rep, dropout_cosine,
                                                           SEED_TIMEOUT_S, jobs.seed_steps),
        "keras-dropout-cosine": keras("keras-dropout-cosine", keras_dropout_cosine),
        "large-plain": lambda rep: runner.dlcoord_local(case, "dltrain-large-plain", rep,
                                                        large_job_argv(jobs) + one_thread, LARGE_TIMEOUT_S,
                                                        jobs.large_steps),
        "large-regularized": lambda rep: runner.dlcoord_local(case, "dltrain-large-regularized", rep,
                                                              large_regularized_argv(jobs) + one_thread,
                                                              LARGE_TIMEOUT_S, jobs.large_steps),
        "torch-regularized": lambda rep: runner.anchor(case, "torch-large-regularized", rep, "fit_torch_large.py",
                                                       torch_argv, LARGE_TIMEOUT_S, directory=REPO_ANCHORS),
    }, lambda run: f"wall {run['wall_s']:.3f} s, RSS {run['rss_mib']:.0f} MiB")


def spread(values):
    values = [value for value in values if value is not None]
    return (min(values), max(values)) if values else (None, None)


def fit_seconds(run):
    return run.get("fit_s") if "fit_s" in run else (run.get("result") or {}).get("fit_s")


def final_figures(run):
    """The last epoch's loss and accuracy: dltrain's from metrics.jsonl, an anchor's from its RESULT."""
    if "final" in run:
        return run["final"].get("loss"), run["final"].get("accuracy")
    result = run.get("result") or {}
    return result.get("final_loss"), result.get("final_acc")


def summarize_fit_options(records, rows):
    """Medians and ranges over the repetitions of every variant: wall time, training time, peak RSS, and for
    the large job samples/s (rows × epochs over the training time); the last epoch's loss and accuracy."""
    summary = dict(rows=rows)
    for variant in (*SEED_VARIANTS, *LARGE_VARIANTS):
        runs = [record for record in records if record["variant"] == variant and record["case"] == FIT_OPTIONS_CASE]
        if not runs:
            summary[variant] = None
            continue
        walls, fits = [run["wall_s"] for run in runs], [fit_seconds(run) for run in runs]
        samples = [rows * LARGE_EPOCHS / fit for fit in fits if fit] if variant in LARGE_VARIANTS else []
        finals = [final_figures(run) for run in runs]
        summary[variant] = dict(
            n=len(runs), wall_s=median(walls), wall_range=spread(walls), fit_s=median(fits), fit_range=spread(fits),
            rss_mib=median([run["rss_mib"] for run in runs]), samples_per_s=median(samples),
            samples_range=spread(samples), final_loss=median([loss for loss, _ in finals]),
            final_accuracy=median([accuracy for _, accuracy in finals]))
    return summary


def figure(summary, variant, key):
    run = summary.get(variant) if summary else None
    return run[key] if run else None


def with_range(value, value_range, digits=3):
    if value is None:
        return MISSING
    low, high = value_range
    return f"{format_number(value, digits)} ({format_number(low, digits)}–{format_number(high, digits)})"


def label(template, steps):
    return template.format(seed_layers=SEED_DROPOUT_LAYERS, large_layers=LARGE_REGULARIZED_LAYERS, steps=steps,
                           rate=DROPOUT, l2=L2, decay=2 * L2)


def fit_options_section(summary, seed_steps):
    if not summary:
        return []
    steps = SEED_EPOCHS * seed_steps
    lines = [f"## {FIT_OPTIONS_CASE}. Keras's fit options: class weights, dropout, a schedule, L2", "",
             "The seed job of case 1 with `--class-weight balanced` (Keras: `fit(class_weight=...)` with scikit-learn's "
             "`compute_class_weight(\"balanced\")`), and with a Dropout after the hidden layer and a cosine decay of the "
             f"learning rate over the run's {steps:,} steps (Keras: `Dropout({DROPOUT:g})` and `Adam(CosineDecay(0.001, "
             f"decay_steps={steps}))`); wall time as case 1. The anchor is `bench/anchors/fit_keras_seed.py`. Medians, "
             "with the range over the repetitions; the last epoch's loss and accuracy as each reports them (the loss "
             "weighted by the class weights in both, the accuracy not: Keras weighs only `weighted_metrics`).", "",
             *table_head("run", "wall s", "fit s", "peak RSS MiB", "wall / dltrain's", "last loss", "last accuracy")]
    pairs = (("dltrain-classweight", "keras-classweight"), ("dltrain-dropout-cosine", "keras-dropout-cosine"))
    for ours, theirs in pairs:
        for variant in (ours, theirs):
            run = summary.get(variant)
            if not run:
                lines.append(table_row(label(SEED_VARIANTS[variant], steps), "not measured", *[MISSING] * 5))
                continue
            lines.append(table_row(label(SEED_VARIANTS[variant], steps), with_range(run["wall_s"], run["wall_range"]),
                                   format_number(run["fit_s"], 3), format_number(run["rss_mib"], 1),
                                   ratio_text(run["wall_s"], figure(summary, ours, "wall_s")),
                                   format_number(run["final_loss"], 4), format_number(run["final_accuracy"], 3)))
    plain = figure(summary, "dltrain-large-plain", "samples_per_s")
    lines += ["", f"The large job of case 3 ({summary['rows']:,} rows, {LARGE_EPOCHS} epochs, one thread per process) "
                  f"with a Dropout({DROPOUT:g}) after each hidden layer and Keras's `l2({L2:g})` on every kernel, beside "
                  "the same job without them and beside PyTorch with `nn.Dropout` and Adam's `weight_decay` "
                  f"(2 × {L2:g} on the weights, which is the gradient of that penalty; none on the biases). Samples/s: "
                  "rows × epochs over the training time, loading excluded.", "",
              *table_head("run", "samples/s", "× dltrain's without them", "fit s", "wall s", "peak RSS MiB")]
    for variant, template in LARGE_VARIANTS.items():
        run = summary.get(variant)
        if not run:
            lines.append(table_row(label(template, steps), "not measured", *[MISSING] * 4))
            continue
        lines.append(table_row(label(template, steps), with_range(run["samples_per_s"], run["samples_range"]),
                               ratio_text(run["samples_per_s"], plain, "x", 2), format_number(run["fit_s"], 2),
                               format_number(run["wall_s"], 2), format_number(run["rss_mib"], 1)))
    regularized = figure(summary, "dltrain-large-regularized", "samples_per_s")
    torch = figure(summary, "torch-large-regularized", "samples_per_s")
    if regularized and torch:
        lines += ["", f"With dropout and L2 on, dltrain trains {ratio_text(regularized, torch, 'x', 2)} PyTorch's samples "
                      "per second with the same, one thread each."]
    lines.append("")
    return lines
