// What an exporter of a distributed run's state (dlcoord --metrics-address) learns from the
// coordinator besides the training observers' epochs and steps: the session's events as they
// happen, and about ten times a second the bytes its socket moved and the workers' compute time.
// Called on the coordinator's thread; an implementation must not block it.

public protocol CoordinatorMonitor: AnyObject, Sendable {
    /// Everything the session reports (workers joining and lost, dropped messages, ...).
    func observe(_ event: CoordinatorEvent)
    /// The bytes the coordinator's socket sent and received since the last call, and each live
    /// worker's compute time per step over the epoch so far.
    func tick(sentBytes: Int, receivedBytes: Int, workerStepTimes: [(name: String, millisecondsPerStep: Double)])
}
