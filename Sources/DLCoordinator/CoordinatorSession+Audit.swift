// The coordinator session's --audit (see docs/security.md): in a star, the drawn shards' gradients
// and sums it received against its own computation; in a ring, the owners' digests of the drawn
// shards' gradients, and their sums; after an epoch, the drawn shards' validation sums; and what a
// verdict means (a worker found wrong is excluded, and the step or the validation runs again
// without it).

import DLProtocol
import DLTraining

extension CoordinatorSession {
    /// --audit in a star: the drawn shards' gradients and sums against the coordinator's own
    /// computation. A worker that sent a wrong one is excluded, and the step runs again without it
    /// (no copy has applied it yet); whether the step may be applied.
    func passes(_ audit: StepAudit, now: ContinuousClock.Instant) -> Bool {
        for shard in audit.draw() where !passes(audit, shard: shard, now: now) { return false }
        return true
    }

    /// The same for one shard.
    func passes(_ audit: StepAudit, shard: Int, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        let (reported, sender) = steps.gradient(ofShard: shard)
        let verdict = audit.check(
            shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters, gradient: reported,
            sums: steps.sums[shard])
        return act(on: verdict, shard: shard, owner: sender, now: now)
    }

    /// --audit in a ring: asks the owners of `shards` for their gradients' digests and computes the
    /// shards meanwhile; the step finishes when the digests are in (`ringAuditAnswered`).
    /// `totalNotFinite`: every shard is asked for, to tell a fault from divergence.
    func startRingAudit(_ audit: StepAudit, shards: [Int], totalNotFinite: Bool = false, now: ContinuousClock.Instant) {
        var asked: [Int: [Int]] = [:]
        for shard in shards {
            if let owner = steps.member(owning: shard) { asked[owner, default: []].append(shard) }
        }
        guard !asked.isEmpty else { return finishStep(now: now) }
        for (owner, shards) in asked { emit(.audit(shards: shards), round: currentRound, to: workers[owner], now: now) }
        let position = progress.position
        var expected: [Int: (owner: Int, expected: StepAudit.Expectation)] = [:]
        for (owner, shards) in asked {
            for shard in shards {
                expected[shard] = (owner, audit.expectation(
                    shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters))
            }
        }
        ringAudit = RingAudit(round: currentRound, expected: expected, totalNotFinite: totalNotFinite)
    }

    /// Every digest of the ring's audit has arrived: the step finishes if they, and the owners'
    /// sums, all match (and its total is finite).
    func ringAuditAnswered(now: ContinuousClock.Instant) {
        guard let pending = ringAudit, let audit else { return }
        ringAudit = nil
        let position = progress.position
        for (shard, expected) in pending.expected.sorted(by: { $0.key < $1.key }) {
            let verdict = audit.settle(
                shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters,
                expected: expected.expected, digest: pending.reported[shard]!, sums: steps.sums[shard])
            guard act(on: verdict, shard: shard, owner: expected.owner, now: now) else { return }
        }
        guard !pending.totalNotFinite else {
            // Every worker computed its shards right: the ones that are not finite are the training's.
            let first = pending.expected.filter { !$0.value.expected.finite }.min { $0.key < $1.key }
            return diverged(now: now, because: first.map { shard, expected in
                "the gradient of shard \(shard), from \(workers[expected.owner].record), is not finite, and neither is the "
                    + "coordinator's own computation of it (--audit)"
            } ?? "every shard's gradient is finite (computed here and reported alike) but the ring's sum of them is not: "
                + "the sum overflowed, or a worker corrupted the partial sum it passed on")
        }
        finishStep(now: now)
    }

    /// Once every shard's validation result is in: with --audit, the drawn shards' sums against
    /// the coordinator's own evaluation; then the epoch is finished with their total.
    func validationCompleted(now: ContinuousClock.Instant) {
        if let audit {
            for shard in audit.draw() {
                let verdict = audit.checkValidation(shard: shard, parameters: progress.parameters, sums: validation.sums[shard])
                guard act(on: verdict, shard: shard, owner: validation.senders[shard], now: now) else { return }
            }
        }
        finishEpoch(validation: job.metrics.total(of: validation.sums), now: now)
    }

    /// What an audit's verdict on `shard` (computed by `owner`) means for the step or validation
    /// pass in progress: whether it may go on. A worker found wrong is excluded; a coordinator that
    /// disagrees with itself stops the run.
    func act(on verdict: StepAudit.Verdict, shard: Int, owner: Int?, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        let validating = phase == .validating
        switch verdict {
        case .agrees:
            return true
        case let .workerWrong(part):
            guard let owner else { return true }
            exclude(workers[owner], for: validating ? .validationSumsDiffer(shard: shard, epoch: position.epoch + 1)
                : part == .gradient ? .gradientDiffers(shard: shard, at: position) : .sumsDiffer(shard: shard, at: position),
                now: now)
            return false
        case .unsettled:
            let what = validating ? "validation sums of shard \(shard) after epoch \(position.epoch + 1)"
                : "gradient of shard \(shard) at \(position)"
            fail("the coordinator computed the \(what) twice and got two different results, neither the worker's: "
                + "this machine computes unreliably", now: now)
            return false
        }
    }
}
