// dlbench: the measurements behind docs/benchmarks.md that no other command makes. bench/run.py
// drives it beside dlcoord, dlworker and the Keras and PyTorch anchors; each subcommand prints a
// human-readable summary and one line `RESULT {json}` for the driver, like the anchors do.

import ArgumentParser

@main
struct DLBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlbench",
        abstract: "Benchmarks for dltrain: synthetic data (numbers; a raw table with text and gaps), CSV reading, the raw ZeroMQ exchange, allocations per step, splitting work over threads.",
        discussion: """
            Run them all, with the Keras and PyTorch anchors beside them, with `python3 bench/run.py`; \
            see docs/benchmarks.md.
            """,
        subcommands: [
            GenSynth.self, GenTable.self, CSVBench.self, FingerprintBench.self, Exchange.self, Allocations.self, SplitBench.self, Flood.self,
            HoldHandshakes.self,
        ])
}
