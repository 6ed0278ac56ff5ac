"""What the raw-table anchors share: the time since their process started, reading the table as a
pandas user does (the gaps dltrain reads by default as missing, the column types as pandas infers
them, the label last), and the RESULT line the benchmark driver reads."""

import json
import os
import resource
import time

# dltrain's default --na-values: pandas reads all but `?` as missing by default.
NA_VALUES = ["", "NA", "N/A", "NaN", "null", "?"]


def seconds_since_process_start():
    """How long ago this process started (from /proc/self/stat, to 1/100 s): the interpreter's start-up
    before the script's first line, which the anchors add to their timings."""
    with open("/proc/self/stat") as stat:
        # The second field, the command, may hold spaces: count the fields after its closing parenthesis.
        fields = stat.read().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - started


class ProcessClock:
    """The seconds since the process started, from the perf_counter reading `started` a script takes
    on its first line (the interpreter's own start, `startup` seconds, comes before it)."""

    def __init__(self, started):
        self.started = started
        self.startup = seconds_since_process_start() - (time.perf_counter() - started)

    def __call__(self):
        return self.startup + time.perf_counter() - self.started


def read_table(pandas, path):
    """The table as a DataFrame without its label column, the label, and the names of the numeric and
    of the text columns (pandas's own typing: a column whose cells are all numbers or gaps is numeric)."""
    frame = pandas.read_csv(path, na_values=NA_VALUES, keep_default_na=True)
    label = frame.pop(frame.columns[-1])
    numeric = [name for name in frame.columns if pandas.api.types.is_numeric_dtype(frame[name])]
    text = [name for name in frame.columns if name not in numeric]
    return frame, label, numeric, text


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    """The process's user and system time so far, all its threads: beside the wall time, how much of a
    shared machine's CPU the run got."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def print_result(values):
    print("RESULT " + json.dumps(values, sort_keys=True), flush=True)
