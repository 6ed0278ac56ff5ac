"""The summary of a benchmark invocation: for every variant, the medians of its figures over the
repetitions. results.json keeps it beside the raw runs, and the report is rendered from it alone."""

import statistics

from settings import LARGE_EPOCHS, SEED_EPOCHS

THREAD_VARIANTS = ("dltrain-large-threads", "dltrain-large-t1", "dltrain-seed-threads", "dltrain-seed-t1")
LOCAL_VARIANTS = ("dltrain", "dltrain-ckpt-end", "dltrain-large") + THREAD_VARIANTS
CLUSTER_VARIANTS = ("dltrain-w4", "dltrain-w4-spawn", "dltrain-w4-tcp-secret", "dltrain-w4-tcp-insecure",
                    "dltrain-w4-tcp-long", "dltrain-w4-tcp-flood", "dltrain-w4-audit", "dltrain-large-w1", "dltrain-large-w2", "dltrain-large-w2-audit")
LARGE_TORCH_VARIANTS = ("torch-large-1t", "torch-large-ddp2", "torch-large-default")
ANCHOR_VARIANTS = ("keras", "torch", "torch-ddp4") + LARGE_TORCH_VARIANTS


def median(values):
    """The median of the values that were measured, or None if none was."""
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def fit_range(records, variant):
    """The shortest and longest training time over a variant's repetitions."""
    fits = [record["fit_s"] for record in records if record.get("variant") == variant and record.get("fit_s")]
    return (min(fits), max(fits)) if fits else (None, None)


def other_load(load):
    """Per case: the CPU time other processes took while its runs ran, as cores on average and in the
    worst run."""
    by_case = {}
    for case in sorted({run["case"] for run in load}):
        runs = [run for run in load if run["case"] == case and run["other_cpu_s"] is not None]
        other_cpu_s = sum(run["other_cpu_s"] for run in runs)
        wall_s = sum(run["wall_s"] for run in runs)
        by_case[case] = dict(other_cpu_s=other_cpu_s, wall_s=wall_s, cores=other_cpu_s / wall_s if wall_s else None,
                             worst=max((run["other_cpu_s"] / run["wall_s"] for run in runs if run["wall_s"]),
                                       default=None))
    return by_case


def summarize(records, load, facts, anchor_statuses):
    def runs_of(variant):
        return [record for record in records if record["variant"] == variant]

    def median_of(variant, key, result_key=None):
        """The median of a figure over a variant's runs; result_key reads it from the run's RESULT."""
        runs = runs_of(variant)
        if not runs:
            return None
        return median([(run.get(key) if result_key is None else (run.get(key) or {}).get(result_key)) for run in runs])

    summary = dict(facts=facts, anchors=anchor_statuses)
    summary["other_load"] = other_load(load)
    for variant in LOCAL_VARIANTS:
        summary[variant] = dict(n=len(runs_of(variant)), wall_s=median_of(variant, "wall_s"),
                                rss_mib=median_of(variant, "rss_mib"), fit_s=median_of(variant, "fit_s"),
                                step_us=median_of(variant, "step_us"), cpu_s=median_of(variant, "cpu_s"))
    for variant in CLUSTER_VARIANTS:
        busiest_worker_cpu_s = [max(run["worker_cpu_s"]) if run.get("worker_cpu_s") else None for run in runs_of(variant)]
        summary[variant] = dict(
            n=len(runs_of(variant)), wall_s=median_of(variant, "wall_s"), rss_mib=median_of(variant, "rss_mib"),
            worker_rss_mib=median_of(variant, "worker_rss_mib"), total_rss_mib=median_of(variant, "total_rss_mib"),
            fit_s=median_of(variant, "fit_s"), step_us=median_of(variant, "step_us"), cpu_s=median_of(variant, "cpu_s"),
            worker_compute_us=median_of(variant, "worker_compute_us"),
            coordinator_cpu_s=median_of(variant, "coordinator_cpu_s"), worker_cpu_s=median(busiest_worker_cpu_s),
            fit_range=fit_range(records, variant),
            flood_connections=median_of(variant, "flood", "connections"),
            flood_bytes=median_of(variant, "flood", "bytes_written"))
    for variant in ANCHOR_VARIANTS:
        summary[variant] = dict(n=len(runs_of(variant)), wall_s=median_of(variant, "wall_s"),
                                rss_mib=median_of(variant, "rss_mib"), fit_s=median_of(variant, "result", "fit_s"),
                                cpu_s=median_of(variant, "cpu_s"))
    summary["torch"]["step_us"] = median_of("torch", "result", "step_us")
    summary["torch-ddp4"]["step_us"] = median_of("torch-ddp4", "result", "step_us_fit")
    summary["torch-ddp4"]["steps"] = median_of("torch-ddp4", "result", "steps_rank0")
    if summary["keras"]["fit_s"] is not None:
        summary["keras"]["step_us"] = summary["keras"]["fit_s"] / (SEED_EPOCHS * facts["seed_steps"]) * 1e6
    for variant in LARGE_TORCH_VARIANTS:
        summary[variant]["samples_per_s"] = median_of(variant, "result", "samples_per_s_fit")
        summary[variant]["load_s"] = median_of(variant, "result", "load_s")
    samples = facts["rows"] * LARGE_EPOCHS
    for variant in ("dltrain-large", "dltrain-large-w1", "dltrain-large-w2", "dltrain-large-w2-audit", "dltrain-large-threads",
                    "dltrain-large-t1"):
        fit_s = summary[variant]["fit_s"]
        summary[variant]["samples_per_s"] = samples / fit_s if fit_s else None
    # dltrain's time per step is a mean (the epochs' seconds over their steps), so the exchange's
    # mean round is what it is compared with; the median and 90th percentile show the spread.
    for name, variant in (("exchange", "exchange-w4"), ("exchange-tcp-secret", "exchange-w4-tcp-secret"),
                          ("exchange-tcp-insecure", "exchange-w4-tcp-insecure"), ("exchange-large-w1", "exchange-large-w1"),
                          ("exchange-large-w2", "exchange-large-w2")):
        summary[name] = dict(n=len(runs_of(variant)), us_mean=median_of(variant, "result", "us_mean"),
                             us_median=median_of(variant, "result", "us_median"),
                             us_p90=median_of(variant, "result", "us_p90"))
    for variant in LARGE_TORCH_VARIANTS:
        step_ms = median_of(variant, "result", "step_ms")
        summary[variant]["step_us"] = 1000 * step_ms if step_ms is not None else None
    csv_runs = runs_of("dlbench-csv")
    summary["csv"] = csv_runs[0]["result"] if csv_runs and csv_runs[0].get("result") else None
    summary["load_bench"] = {run["result"]["case"]: run["result"] for run in runs_of("load_bench")}
    for key in ("allocations", "allocations-threads"):
        allocation_runs = runs_of(key)
        summary[key] = allocation_runs[0]["result"] if allocation_runs and allocation_runs[0].get("result") else None
    return summary
