// Every option of Keras's `fit` that dltrain has, on at once, through the real executables: dropout,
// kernel and bias regularizers (global and per layer), initializers, class or sample weights, adamw
// with amsgrad, EMA and clipnorm, and a learning-rate schedule or ReduceLROnPlateau. A run on
// workers that loses one of them and whose coordinator is killed and resumed must write the model
// that `dlcoord --local` with the same shards writes, byte for byte, and report the same learning
// rates. (FitOptionErrorTests: each bad option refused before training.)

import DLTestSupport
import Foundation
import XCTest

final class FitOptionsEndToEndTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    /// The options both variants share: dropout on the inputs and after a hidden layer; an l1_l2 penalty on
    /// every kernel, a layer with its own l2, an l2 on every bias; he_normal kernels with one layer's own
    /// lecun_normal; adamw with amsgrad, EMA and clipnorm; a validation split (weighted, and watched by the
    /// plateau).
    static let everyOption = [
        "--layers", "dropout:0.1,24:relu:l2=0.002,dropout:0.3,12:tanh:kernel_initializer=lecun_normal,1:sigmoid",
        "--kernel-initializer", "he_normal", "--kernel-regularizer", "l1_l2:l1=0.0001,l2=0.001", "--bias-regularizer", "l2:0.0001",
        "--optimizer", "adamw", "--optimizer-args", "weight_decay=0.004,amsgrad=true,use_ema=true,clipnorm=1.0",
        "--validation-split", "0.2", "--epochs", "150", "--shards", "4",
    ]

    /// With balanced class weights and a cosine schedule with warm-up.
    func testEveryOptionWithAScheduleOnWorkersThroughALostWorkerAndAResumeEqualsLocal() throws {
        let job = Self.everyOption + [
            "--data", Repository.dataset("ThoraricSurgery.csv"), "--class-weight", "balanced",
            "--lr-schedule", "cosine_decay:decay_steps=3000,warmup_steps=200,warmup_target=0.002",
        ]
        let rates = try distributedEqualsLocal(job)
        // The schedule at the optimizer's step count at each epoch's end: up during the warm-up, then down.
        let peak = try XCTUnwrap(rates.max())
        XCTAssertGreaterThan(peak, rates[0])
        XCTAssertLessThan(try XCTUnwrap(rates.last), peak)
    }

    /// With a sample weight column and ReduceLROnPlateau, which must fire at least once.
    func testEveryOptionWithAPlateauOnWorkersThroughALostWorkerAndAResumeEqualsLocal() throws {
        let job = Self.everyOption + [
            "--data", try weightedSeedData(), "--sample-weight-column", "weight",
            "--reduce-lr-on-plateau", "monitor=val_loss,factor=0.5,patience=3,min_delta=0.0001,cooldown=1,min_lr=0.0001",
        ]
        let rates = try distributedEqualsLocal(job)
        XCTAssertEqual(try XCTUnwrap(rates.first), 0.001, accuracy: 1e-9, "the rate before any reduction is --learning-rate")
        XCTAssertLessThan(try XCTUnwrap(rates.last), 0.001, "the plateau lowered the rate: \(rates)")
        XCTAssertEqual(rates, rates.sorted(by: >), "the plateau only lowers the rate")
    }

    /// The same options in a job file, by their snake_case keys (objects where the key takes one), train the
    /// model the flags train.
    func testEveryOptionInAJobFileEqualsTheFlags() throws {
        let directory = try temporaryDirectory(self)
        let weighted = try weightedSeedData()
        let shared: [String: Any] = [
            "layers": "dropout:0.1,24:relu:l2=0.002,dropout:0.3,12:tanh:kernel_initializer=lecun_normal,1:sigmoid",
            "kernel_initializer": "he_normal", "kernel_regularizer": "l1_l2:l1=0.0001,l2=0.001", "bias_regularizer": "l2:0.0001",
            "optimizer": "adamw", "optimizer_arguments": ["weight_decay": 0.004, "amsgrad": 1, "use_ema": 1, "clipnorm": 1.0],
            "validation_split": 0.2, "epochs": 5, "shards": 4,
        ]
        let variants: [(file: [String: Any], flags: [String])] = [
            (["data": Repository.dataset("ThoraricSurgery.csv"), "class_weight": ["0": 1, "1": 5],
              "lr_schedule": "cosine_decay:decay_steps=100,warmup_steps=20,warmup_target=0.002"],
             ["--data", Repository.dataset("ThoraricSurgery.csv"), "--class-weight", "0:1,1:5",
              "--lr-schedule", "cosine_decay:decay_steps=100,warmup_steps=20,warmup_target=0.002"]),
            (["data": weighted, "sample_weight_column": "weight",
              "reduce_lr_on_plateau": ["monitor": "val_loss", "factor": 0.5, "patience": 1, "min_lr": 0.0001]],
             ["--data", weighted, "--sample-weight-column", "weight",
              "--reduce-lr-on-plateau", "monitor=val_loss,factor=0.5,patience=1,min_lr=0.0001"]),
        ]
        // docs/cli.md: amsgrad, use_ema and nesterov take true or false (1 and 0 are read as those too).
        let booleans = directory + "/booleans.json"
        try Data(#"{"optimizer": "adamw", "optimizer_arguments": {"amsgrad": true, "use_ema": false}, "epochs": 1}"#.utf8)
            .write(to: URL(fileURLWithPath: booleans))
        let withBooleans = try dlcoord.run(["--local", "--verbose", "0", "--config", booleans, "--run-dir", directory + "/b"])
        XCTAssertEqual(withBooleans.status, 0, withBooleans.errors)
        let flags = Array(Self.everyOption.dropLast(4)) + ["--epochs", "5", "--shards", "4"]
        for (index, variant) in variants.enumerated() {
            let path = directory + "/job-\(index).json"
            try JSONSerialization.data(withJSONObject: shared.merging(variant.file) { $1 }, options: [.sortedKeys])
                .write(to: URL(fileURLWithPath: path))
            let fromFile = try localRun(["--config", path])
            XCTAssertEqual(fromFile.model, try localRun(flags + variant.flags).model, "job file \(index)")
            XCTAssertEqual(fromFile.rates.count, 5, "learning_rate reported: job file \(index)")
        }
    }

    /// The seed data with a header and a first column `weight` (1, 2 or 0.5, by row), the label last.
    private func weightedSeedData() throws -> String {
        let rows = try String(contentsOfFile: Repository.dataset("ThoraricSurgery.csv"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.isEmpty }
        let header = "weight," + (0..<17).map { "f\($0)" }.joined(separator: ",") + ",survived"
        let weights = ["1", "2", "0.5"]
        let lines = [header] + rows.enumerated().map { index, row in weights[index % 3] + "," + row }
        let path = try temporaryDirectory(self) + "/weighted.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Trains `job` on three workers, one of which is killed mid-run, then kills the coordinator and resumes it
    /// on the two left; the model must equal `--local`'s byte for byte, and every epoch's reported learning rate
    /// `--local`'s. Also checks the options changed the model (none of them is ignored by both). Returns the
    /// learning rate of each epoch.
    private func distributedEqualsLocal(_ job: [String]) throws -> [Double] {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let workers = try (1...3).map {
            try dlworker.start(["--connect", endpoint, "--name", "w\($0)", "--coordinator-timeout", "3"])
        }
        let first = try dlcoord.start([
            "--workers", "3", "--bind", endpoint, "--worker-timeout", "2", "--checkpoint-every-steps", "20", "--verbose", "2",
            "--run-dir", directory,
        ] + job)
        XCTAssertTrue(first.waitForOutput(containing: "Epoch 6/", timeout: 120), first.errorsSoFar)
        workers[1].signal(SIGKILL)
        XCTAssertTrue(first.waitForError(containing: "is lost", timeout: 60), first.errorsSoFar)
        // A few epochs on the two left, then the coordinator dies without a word.
        XCTAssertTrue(first.waitForOutput(timeout: 120) { output in
            let epochs = output.components(separatedBy: "Epoch ").compactMap { Int($0.prefix { $0.isNumber }) }
            return (epochs.max() ?? 0) >= 30
        }, first.errorsSoFar)
        first.signal(SIGKILL)
        XCTAssertEqual(first.wait(timeout: 30).status, SIGKILL)

        let resumed = try dlcoord.run(["--resume", directory, "--workers", "2", "--bind", endpoint, "--verbose", "1"], timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Resuming from \(directory)/checkpoint-"), resumed.output)
        XCTAssertTrue(resumed.output.contains("Epoch 150/150"), resumed.output)
        for (index, worker) in workers.enumerated() where index != 1 {
            let left = worker.wait(timeout: 30)
            XCTAssertEqual(left.status, 0, left.errors)
        }

        let local = try localRun(job)
        XCTAssertEqual(try model(in: directory), local.model)
        let distributedRates = try learningRates(in: directory)
        XCTAssertEqual(distributedRates.count, 150)
        XCTAssertEqual(distributedRates, local.rates, "the same learning rate at each epoch's end")
        // Without the fit options (the same layers, optimizer and data), a different model.
        let plain = job.enumerated().filter { index, flag in
            !Self.fitFlags.contains(flag) && (index == 0 || !Self.fitFlags.contains(job[index - 1]))
        }.map(\.element)
        XCTAssertNotEqual(try localRun(plain + ["--layers", "24:relu,12:tanh,1:sigmoid"]).model, local.model)
        return distributedRates
    }

    /// The flags of this issue's options, each followed by its value (left out of the plain run).
    static let fitFlags: Set<String> = [
        "--layers", "--kernel-initializer", "--kernel-regularizer", "--bias-regularizer", "--optimizer-args",
        "--class-weight", "--sample-weight-column", "--lr-schedule", "--reduce-lr-on-plateau",
    ]

    private func localRun(_ job: [String]) throws -> (model: Data, rates: [Double]) {
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--local", "--verbose", "0", "--run-dir", directory] + job, timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        return (try model(in: directory), try learningRates(in: directory))
    }

    /// The `learning_rate` of each line of a run's metrics.jsonl that has one (a run with neither a schedule
    /// nor ReduceLROnPlateau reports none).
    private func learningRates(in directory: String) throws -> [Double] {
        let lines = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        return try lines.compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["learning_rate"] as? Double
        }
    }
}
