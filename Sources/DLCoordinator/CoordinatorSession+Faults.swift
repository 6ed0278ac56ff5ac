// The coordinator session's answer to a worker that sends no usable result: one of the wrong
// length, a gradient that is not finite, or nothing at all while it still answers. Such a worker
// is excluded (a typed event names it and the cause), its shards go to the others, and the step or
// validation pass runs again without it, so the run ends as an undisturbed one would, bit for bit.
// A step that stalls between workers of a ring, where no single worker can be blamed, and a
// gradient that is not finite because the training diverged, end the run instead, saying so.

import DLProtocol
import DLTraining

extension CoordinatorSession {
    /// A result refused: dropped, or, when it belongs to the step or pass in progress and has the
    /// wrong length (which no honest worker sends), its sender is excluded.
    func dropResult(_ envelope: Envelope, from worker: Worker, because reason: DropReason, now: ContinuousClock.Instant) {
        guard case let .wrongLength(shard) = reason else { return drop(envelope, from: worker, because: reason) }
        exclude(worker, for: .wrongLength(envelope.message.type, shard: shard >= 0 ? shard : nil), now: now)
    }

    /// In a star, once the gradients are added up: whether the total is finite. When it is not,
    /// the first shard whose gradient is not finite is computed again: here, with --audit (a
    /// worker whose gradient differs is excluded; the same bits mean the training diverged);
    /// otherwise by another worker, its owner excluded, when another worker's gradients are finite
    /// (not finite there too, the training diverged). When every worker's gradient is not finite,
    /// or the data holds values that are not finite, the training diverged.
    func starTotalIsFinite(now: ContinuousClock.Instant) -> Bool {
        if steps.total.withUnsafeBufferPointer(ParameterState.allFinite) { return true }
        let nonFinite = steps.nonFiniteGradients
        guard let shard = nonFinite.first, let owner = steps.member(owning: shard) else {
            diverged(now: now, because: "every shard's gradient is finite, but their sum is not")
            return false
        }
        let worker = workers[owner]
        let named = "the gradient of shard \(shard), from \(worker.record), is not finite"
        if let audit {
            if passes(audit, shard: shard, now: now) {
                diverged(now: now, because: named + ", and neither is the coordinator's own computation of it (--audit)")
            }
            return false
        }
        if let suspect = nonFiniteSuspect, suspect.round == currentRound, suspect.shard == shard {
            diverged(now: now, because: "the gradient of shard \(shard) is not finite, from \(suspect.worker) and again from "
                + "\(worker.record)")
            return false
        }
        let othersFinite = (plan?.members ?? []).contains { member in
            member != owner && steps.shards(of: member).allSatisfy { !nonFinite.contains($0) }
        }
        guard othersFinite, job.data.nonFiniteCell == nil else {
            diverged(now: now, because: named)
            return false
        }
        nonFiniteSuspect = (currentRound, shard, worker.record)
        exclude(worker, for: .gradientNotFinite(shard: shard, at: progress.position), now: now)
        return false
    }

    /// In a ring, a step's total that is not finite: with --audit, every shard of the step is
    /// audited (a worker found wrong is excluded; otherwise the training diverged). Without, the
    /// coordinator has only the shards' sums: the run stops as diverged, naming the shards whose
    /// loss is not finite.
    func ringTotalNotFinite(now: ContinuousClock.Instant) {
        if let audit {
            return startRingAudit(audit, shards: Array(0..<job.schedule.shardCount), totalNotFinite: true, now: now)
        }
        let shards = (0..<job.schedule.shardCount).filter { !steps.sums[$0].allSatisfy(\.isFinite) }
        let named = shards.prefix(4).compactMap { shard in
            steps.member(owning: shard).map { "shard \(shard) (\(workers[$0].record))" }
        } + (shards.count > 4 ? ["\(shards.count - 4) more"] : [])
        diverged(now: now, because: "the step's gradient, summed by the ring of workers, is not finite; "
            + (named.isEmpty ? "every shard's loss is finite" : "the loss is not finite for " + named.joined(separator: ", "))
            + "; --audit would compute the shards here and tell a worker's fault from divergence")
    }

    /// Ends the run as the single-process trainer would at this step, with what the coordinator
    /// knows of the cause.
    func diverged(now: ContinuousClock.Instant, because detail: String) {
        let position = progress.position
        fail("\(job.explained(JobError.diverged(epoch: position.epoch + 1, step: position.step + 1))) (\(detail))",
            now: now, checkpoint: false)
    }

    /// A step every member of which still talks to the coordinator, but which has not completed
    /// within the worker timeout. It is sent once more under a new plan (a message may have been
    /// lost, a ring stuck between workers). Stuck again: the workers whose part is missing are
    /// excluded where that part is theirs alone to send (a star's step-done, a ring's audit
    /// digests, or a ring's step-done once the total came round, which every member passed on);
    /// otherwise the ring is stuck between workers, and the run stops naming them.
    func stepStalled(now: ContinuousClock.Instant) {
        guard ownership.isComplete else { return }
        let auditMissing = ringAudit.map { audit in
            Set(audit.expected.filter { audit.reported[$0.key] == nil }.map(\.value.owner)).sorted()
        }
        let missing = auditMissing ?? steps.missingMembers
        report(.stepStalled(round: currentRound, missing: missing.map { workers[$0].record }, retrying: !stepResent))
        guard stepResent else {
            plan = nil  // a new plan version: whatever the stuck one left behind is dropped
            sendStep(round: currentRound, now: now)
            stepResent = true
            return
        }
        guard !missing.isEmpty, plan?.star == true || auditMissing != nil || steps.hasTotal else {
            return fail(
                "step \(progress.position) did not complete within \(seconds(timeouts.worker)) s, twice, although every "
                    + "worker answers the coordinator; missing: "
                    + (missing.isEmpty ? "the step's total" : missing.map { workers[$0].record.description }.joined(separator: ", "))
                    + ". The workers must reach each other's peer endpoints (dlworker --peer-bind, --advertise)", now: now)
        }
        for index in missing where workers[index].isLive {
            exclude(workers[index], for: .noStepResult(at: progress.position, timeout: timeouts.worker), now: now)
        }
    }

    /// During a validation pass: a worker asked to evaluate shards that has not sent them within
    /// the worker timeout is asked once more, then excluded.
    func validationStalled(now: ContinuousClock.Instant) {
        for worker in workers.live {
            guard worker.isLive, let asked = worker.evaluateAsked, now - asked > timeouts.worker else { continue }
            let missing = validation.missing(ownership.owned(by: worker.index))
            guard !missing.isEmpty else {
                worker.evaluateAsked = nil
                continue
            }
            let epoch = Int(validation.round) + 1
            guard worker.evaluateRetried else {
                report(.validationStalled(epoch: epoch, worker: worker.record))
                emit(.evaluate(shards: missing), round: validation.round, to: worker, now: now)
                worker.evaluateAsked = now
                worker.evaluateRetried = true
                continue
            }
            exclude(worker, for: .noValidationResult(epoch: epoch, timeout: timeouts.worker), now: now)
            if outcome != nil || phase != .validating { return }
        }
    }
}
