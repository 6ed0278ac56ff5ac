// The coordinator session's --audit (see docs/security.md): in a star, the drawn shards' gradients
// it received against its own computation; in a ring, the owners' digests of them; and what a
// verdict means for the step (a worker found wrong is excluded and the step runs again without it).

import DLProtocol
import DLTraining

extension CoordinatorSession {
    /// --audit in a star: the drawn shards' gradients against the coordinator's own computation. A
    /// worker that sent a wrong one is excluded, and the step runs again without it (no copy has
    /// applied it yet); whether the step may be applied.
    func passes(_ audit: StepAudit, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        for shard in audit.draw() {
            let (reported, sender) = steps.gradient(ofShard: shard)
            let verdict = audit.check(
                shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters, reported: reported)
            guard act(on: verdict, shard: shard, owner: sender, now: now) else { return false }
        }
        return true
    }

    /// --audit in a ring: asks the drawn shards' owners for their gradients' digests and computes
    /// the shards meanwhile; the step finishes when the digests are in (`ringAuditAnswered`).
    func startRingAudit(_ audit: StepAudit, now: ContinuousClock.Instant) {
        var asked: [Int: [Int]] = [:]
        for shard in audit.draw() {
            if let owner = steps.member(owning: shard) { asked[owner, default: []].append(shard) }
        }
        guard !asked.isEmpty else { return finishStep(now: now) }
        for (owner, shards) in asked { emit(.audit(shards: shards), round: currentRound, to: workers[owner], now: now) }
        let position = progress.position
        var expected: [Int: (owner: Int, digest: [UInt8])] = [:]
        for (owner, shards) in asked {
            for shard in shards {
                expected[shard] = (owner, audit.expectedDigest(
                    shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters))
            }
        }
        ringAudit = RingAudit(round: currentRound, expected: expected)
    }

    /// Every digest of the ring's audit has arrived: the step finishes if they all match.
    func ringAuditAnswered(now: ContinuousClock.Instant) {
        guard let pending = ringAudit, let audit else { return }
        ringAudit = nil
        let position = progress.position
        for (shard, expected) in pending.expected.sorted(by: { $0.key < $1.key }) {
            let verdict = audit.settle(
                shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters,
                expected: expected.digest, reported: pending.reported[shard]!)
            guard act(on: verdict, shard: shard, owner: expected.owner, now: now) else { return }
        }
        finishStep(now: now)
    }

    /// What an audit's verdict on `shard` (computed by `owner`) means for the step: whether it may
    /// go on. A worker found wrong is excluded; a coordinator that disagrees with itself stops the run.
    func act(on verdict: StepAudit.Verdict, shard: Int, owner: Int?, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        switch verdict {
        case .agrees:
            return true
        case .workerWrong:
            guard let owner else { return true }
            exclude(workers[owner], because: "its gradient of shard \(shard) at \(position) differs from the "
                + "coordinator's, which computed the same bits twice (--audit)", now: now)
            return false
        case .unsettled:
            fail("the coordinator computed the gradient of shard \(shard) at \(position) twice and got two "
                + "different results, neither the worker's: this machine computes unreliably", now: now)
            return false
        }
    }
}
