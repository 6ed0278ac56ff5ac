// What every message must hold whatever state its receiver is in, checked as it is decoded
// (MessageCodec.decode calls these): a decoded message names no round, count, size, index or
// name that could trap or exhaust the code that uses it, whoever sent it. A welcome describes a
// job that could be trained (positive counts within the bounds below, a model ModelSpec accepts,
// a known loss, metrics and optimizer that fit it, its own shards in order); a ring plan's chunks
// and shards are within bounds; a hello's names are short and printable. What depends on the
// receiver's job (a shard it does not hold, rows of another width, a plan for other shards) is
// checked where the message is used: WorkerSession+Job, JobParticipation, ShardLoad and
// GradientRing on a worker, the collectors on the coordinator.

import DLCore

extension MessageCodec {
    /// The largest round (global step) a message may name: a run has at most 2^31 epochs of at most
    /// 2^31 steps, and a round one more than this still fits any arithmetic on it.
    public static let maximumRound: UInt64 = 1 << 62
    /// The longest name, host or version a hello may carry, in UTF-8 bytes.
    public static let maximumNameLength = 256
    /// The longest peer endpoint a hello or a ring plan may carry.
    public static let maximumEndpointLength = 1024

    /// `text` with every control character (a terminal's escape sequences among them) replaced by
    /// U+FFFD, a line break or tab by a space: a peer's words are printed, never obeyed.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(!isControl(scalar) ? scalar : scalar == "\n" || scalar == "\t" ? " " : "\u{FFFD}")
        }
        return String(scalars)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .control }
}

extension WorkerJob {
    /// The most shards a job has (JobSettings.maximumShards; a test keeps the two equal).
    public static let maximumShards = 1 << 20
    /// The most training (or validation) rows: rows are numbered in 32 bits (ShardSchedule.maximumRows).
    public static let maximumRows = Int(Int32.max)
    /// The largest global batch (JobSettings.maximumBatchSize).
    public static let maximumBatchSize = Int(Int32.max)
    /// The largest worker index: workers are numbered as they register.
    public static let maximumWorkerIndex = Int(Int32.max)

    /// Refuses a job no worker could train, naming the field.
    func check() throws(ProtocolError) {
        func bad(_ reason: String) -> ProtocolError { .badContent(type: "welcome", reason: reason) }
        func within(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws(ProtocolError) {
            guard range.contains(value) else { throw bad("\(key) \(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        }
        try within("worker_index", workerIndex, 0...Self.maximumWorkerIndex)
        try within("training_rows", trainingRows, 1...Self.maximumRows)
        try within("validation_rows", validationRows, 0...Self.maximumRows)
        try within("shard_count", shardCount, 1...min(Self.maximumShards, trainingRows))
        try within("batch_size", batchSize, 1...Self.maximumBatchSize)
        guard featureCount == model.inputDim else {
            throw bad("feature_count \(featureCount) for a model of \(model.inputDim) inputs")
        }
        if let preprocessing {
            // Checked before its widths are compared: an inconsistent one could not even say them.
            if let reason = preprocessing.inconsistency() { throw bad("preprocessing: \(reason)") }
            guard preprocessing.outputWidth == featureCount else {
                throw bad("a preprocessing of \(preprocessing.outputWidth) inputs for feature_count \(featureCount)")
            }
            guard !standardizes else { throw bad("a preprocessing beside standardizes: a job has one or the other") }
        }
        let loss: Loss
        do {
            loss = try Loss(name: self.loss)
            try loss.validate(outputs: model.outputWidth)
            for metric in metrics { _ = try Metric(name: metric, loss: loss, outputs: model.outputWidth) }
            _ = try OptimizerConfig(name: optimizer, arguments: optimizerArguments, schedule: lrSchedule)
        } catch let error as LearningRateScheduleError {
            throw bad("lr_schedule: \(error)")
        } catch {
            throw bad("\(error)")
        }
        guard targetWidth == loss.targetWidth(outputs: model.outputWidth) + (sampleWeighted ? 1 : 0) else {
            throw bad(
                "target_width \(targetWidth) for \(loss.rawValue) on \(model.outputWidth) output(s)"
                    + (sampleWeighted ? " and a sample weight" : ""))
        }
        guard !(sampleWeighted && classWeights != nil) else { throw bad("class_weights beside sample_weighted: a job has one or the other") }
        guard shards.allSatisfy({ (0..<shardCount).contains($0) }), zip(shards, shards.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw bad("shards must be increasing and below shard_count \(shardCount)")
        }
        // A class past the list's end weighs 1, so only the values need checking.
        if let classWeights, classWeights.isEmpty || !classWeights.allSatisfy({ $0.isFinite && $0 >= 0 }) {
            throw bad("class_weights must be finite numbers, 0 or more, one per class")
        }
    }
}

extension WorkerInfo {
    /// Refuses names too long or not printable, and an endpoint no socket could reach.
    func check() throws(ProtocolError) {
        for (key, text) in [("name", name), ("host", host), ("version", version)]
        where text.utf8.count > MessageCodec.maximumNameLength || MessageCodec.printable(text) != text {
            throw .badContent(type: "hello", reason: "\(key) is not printable text of at most \(MessageCodec.maximumNameLength) bytes")
        }
        guard peerEndpoint.utf8.count <= MessageCodec.maximumEndpointLength, MessageCodec.printable(peerEndpoint) == peerEndpoint else {
            throw .badContent(
                type: "hello", reason: "peer_endpoint is not printable text of at most \(MessageCodec.maximumEndpointLength) bytes")
        }
    }
}

extension RingPlan {
    /// Refuses a plan outside the bounds any job has; whether it fits this job's shards is
    /// `isValid(shardCount:)`, on the worker.
    func check() throws(ProtocolError) {
        func bad(_ reason: String) -> ProtocolError { .badContent(type: "ring", reason: reason) }
        guard (1...Self.defaultChunkSize).contains(chunkSize) else { throw bad("chunk_size \(chunkSize) is outside 1...\(Self.defaultChunkSize)") }
        guard segments.reduce(0, { $0 + $1.shards.count }) <= WorkerJob.maximumShards,
            segments.allSatisfy({ $0.shards.allSatisfy { (0..<WorkerJob.maximumShards).contains($0) } })
        else { throw bad("more than \(WorkerJob.maximumShards) shards, or a shard number outside them") }
        let workers = segments.map(\.worker) + peers.map(\.worker)
        guard workers.allSatisfy({ (0...WorkerJob.maximumWorkerIndex).contains($0) }) else { throw bad("a worker index out of range") }
        guard peers.allSatisfy({
            $0.endpoint.utf8.count <= MessageCodec.maximumEndpointLength && MessageCodec.printable($0.endpoint) == $0.endpoint
        }) else { throw bad("a peer endpoint that is not printable text of at most \(MessageCodec.maximumEndpointLength) bytes") }
    }
}

extension Array where Element == Int {
    /// Refuses a list of shards (assign, evaluate, audit, audit-digests) that no job could have.
    func checkShards(in type: MessageType) throws(ProtocolError) {
        guard count <= WorkerJob.maximumShards, allSatisfy({ (0..<WorkerJob.maximumShards).contains($0) }) else {
            throw .badContent(type: "\(type)", reason: "a shard list of more than \(WorkerJob.maximumShards) shards or outside them")
        }
    }
}
