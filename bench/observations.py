"""The report's "Where the time goes": what the summary's figures say about where a run spends its time,
and the floors that bound the targets not met (what the bare exchange alone would cost)."""

from formatting import format_number, one_over
from multihost import MULTIHOST_CASE, scaling_floor_note
from settings import LARGE_PARAMETERS, SEED_EPOCHS


def seed_one_process_note(summary):
    local, one_checkpoint = summary["dltrain"], summary["dltrain-ckpt-end"]
    if not (local["wall_s"] and local["fit_s"]):
        return None
    text = (f"Seed job, one process: training takes {format_number(local['fit_s'], 3)} s of the "
            f"{format_number(local['wall_s'], 3)} s wall time ({100 * local['fit_s'] / local['wall_s']:.0f} %).")
    if one_checkpoint["wall_s"]:
        checkpoints_s = local["wall_s"] - one_checkpoint["wall_s"]
        text += (f" With one checkpoint instead of one per epoch (`--checkpoint-every {SEED_EPOCHS}`) the run takes "
                 f"{format_number(one_checkpoint['wall_s'], 3)} s: the per-epoch checkpoints cost about "
                 f"{format_number(checkpoints_s, 3)} s, {100 * checkpoints_s / local['wall_s']:.0f} % of the run.")
    return text


def seed_four_workers_note(summary):
    workers, exchange, local = summary["dltrain-w4"], summary["exchange"], summary["dltrain"]
    if not (workers["step_us"] and exchange["us_mean"] and local["step_us"]):
        return None
    compute = (f"; each worker reports {format_number(workers['worker_compute_us'], 1)} µs of compute per step"
               if workers["worker_compute_us"] else "")
    cpu = (f" Over the run the coordinator used {format_number(workers['coordinator_cpu_s'])} CPU-seconds and the "
           f"busiest worker {format_number(workers['worker_cpu_s'])}, in {format_number(workers['wall_s'])} s of wall time."
           if workers["coordinator_cpu_s"] is not None and workers["worker_cpu_s"] is not None else "")
    return (f"Seed job, four workers: {format_number(workers['step_us'], 1)} µs per step, against "
            f"{format_number(exchange['us_mean'], 1)} µs for the bare exchange and {format_number(local['step_us'], 1)} µs "
            f"for the whole step in one process{compute}. The {format_number(workers['step_us'] - exchange['us_mean'], 1)} "
            "µs beyond the exchange are the protocol (encoding, decoding and checking the messages, copying the "
            "frames), the coordinator's bookkeeping and the workers' compute, with 5 processes on 2 cores." + cpu)


def seed_spawned_floor_note(summary):
    """The floor of a run that sends one message each way per worker per step: every round at the bare
    exchange's mean, plus what the spawned run spends outside training."""
    spawned, exchange = summary["dltrain-w4-spawn"], summary["exchange"]
    keras, ddp = summary["keras"], summary["torch-ddp4"]
    if not (spawned["fit_s"] and exchange["us_mean"] and keras.get("wall_s") and ddp.get("wall_s")):
        return None
    rounds = spawned["fit_s"] * 1e6 / spawned["step_us"]
    outside_s = spawned["wall_s"] - spawned["fit_s"]
    exchange_s = rounds * exchange["us_mean"] / 1e6
    floor_s = exchange_s + outside_s

    def within(wall_limit_s):
        """How close to the bare exchange every round must be for the run to take `wall_limit_s`."""
        ratio = (wall_limit_s - outside_s) / exchange_s
        return f"{ratio:.3f} ×" + (", faster than the exchange itself" if ratio < 1 else "")

    return (f"Seed job, four spawned workers, the floor: {rounds:,.0f} rounds at the bare exchange's mean "
            f"({format_number(exchange['us_mean'], 1)} µs) plus the {format_number(outside_s, 3)} s spent outside "
            f"training make {format_number(floor_s, 3)} s, {one_over(keras['wall_s'] / floor_s)} of Keras's wall time "
            f"and {one_over(ddp['wall_s'] / floor_s)} of torch DDP's. 1/10 of Keras's needs every round within "
            f"{within(keras['wall_s'] / 10)} the bare exchange's; 1/40 of DDP's within {within(ddp['wall_s'] / 40)}.")


def large_floor_note(summary):
    """Without overlapping communication and computation a step is at least a worker's compute plus the
    bare exchange; that bounds the two-worker speed-up."""
    one, two = summary["dltrain-large-w1"], summary["dltrain-large-w2"]
    exchange_one, exchange_two = summary["exchange-large-w1"], summary["exchange-large-w2"]
    if not (one["worker_compute_us"] and two["worker_compute_us"] and exchange_one["us_mean"]
            and exchange_two["us_mean"] and one["step_us"] and two["step_us"]):
        return None
    floor_one_us = one["worker_compute_us"] + exchange_one["us_mean"]
    floor_two_us = two["worker_compute_us"] + exchange_two["us_mean"]
    return (f"Large job, the floor without overlap: a worker's compute plus the bare exchange is "
            f"{format_number(floor_one_us / 1000, 2)} ms with one worker (measured {format_number(one['step_us'] / 1000, 2)}) "
            f"and {format_number(floor_two_us / 1000, 2)} ms with two (measured {format_number(two['step_us'] / 1000, 2)}): "
            f"at those floors two workers would give {floor_one_us / floor_two_us:.2f} ×. 1.8 × needs a two-worker "
            f"step of {format_number(one['step_us'] / 1.8 / 1000, 2)} ms, less than compute plus exchange, so the "
            "exchange would have to overlap the computation, on two cores that the two workers already keep busy.")


def large_workers_note(summary):
    local, one, two = summary["dltrain-large"], summary["dltrain-large-w1"], summary["dltrain-large-w2"]
    if not (one["samples_per_s"] and two["samples_per_s"] and local["samples_per_s"]):
        return None
    return (f"Large job: one worker reaches {100 * one['samples_per_s'] / local['samples_per_s']:.0f} % of one "
            f"process's samples per second, two workers {100 * two['samples_per_s'] / local['samples_per_s']:.0f} %. "
            f"Wall time minus training time (start-up, reading and sending the data, writing the results): "
            f"{format_number(local['wall_s'] - local['fit_s'])} s in one process, "
            f"{format_number(two['wall_s'] - two['fit_s'])} s with two workers.")


def large_step_notes(summary):
    local = summary["dltrain-large"]
    notes = []
    for workers in (1, 2):
        run, exchange = summary[f"dltrain-large-w{workers}"], summary[f"exchange-large-w{workers}"]
        if not (run["step_us"] and local["step_us"]):
            continue
        parts = [f"Large job, {workers} worker{'s' if workers > 1 else ''}: {format_number(run['step_us'] / 1000, 2)} ms "
                 "per step"]
        if run["worker_compute_us"]:
            parts.append(f"of which a worker computes {format_number(run['worker_compute_us'] / 1000, 2)} ms")
        if exchange["us_mean"]:
            parts.append(f"the bare exchange of {LARGE_PARAMETERS:,} floats each way takes "
                         f"{format_number(exchange['us_mean'] / 1000, 2)} ms")
        parts.append(f"one process takes {format_number(local['step_us'] / 1000, 2)} ms for the whole step")
        notes.append(", ".join(parts) + ".")
    return notes


def allocation_notes(summary):
    counted = summary["allocations"]
    if not (counted and counted.get("measured")):
        return []
    return [f"Allocations, {run['shards']} shard(s): {format_number(run['per_step'])} per step on average, of which "
            f"{format_number(run['apply_per_step'])} in applyStep; an epoch's first step (the shards reshuffle their "
            f"order) makes {format_number(run['first_step_of_epoch_mean'])}, the other steps "
            f"{format_number(run['other_steps_mean'])}."
            for run in counted["runs"] if run["per_step"] > 0]


def observations(summary, cases):
    notes = []
    if 1 in cases:
        notes.append(seed_one_process_note(summary))
    if 2 in cases:
        notes += [seed_four_workers_note(summary), seed_spawned_floor_note(summary)]
    if 3 in cases:
        notes += [large_floor_note(summary), large_workers_note(summary), *large_step_notes(summary)]
    if 6 in cases:
        notes += allocation_notes(summary)
    if MULTIHOST_CASE in cases:
        notes.append(scaling_floor_note(summary))
    return [note for note in notes if note is not None]
