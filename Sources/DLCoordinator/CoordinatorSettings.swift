// What a coordinator session is told to do (its bounded waits and its policy on workers coming and
// going) and how its run can end.

import DLProtocol

extension CoordinatorSession {
    public struct Timeouts: Sendable {
        /// How long to wait for the workers to register.
        public var registration: Duration
        /// Silence from a worker after which it counts as lost.
        public var worker: Duration
        /// How often to send a heartbeat to a worker that has been sent nothing else.
        public var interval: Duration
        /// How long to wait for workers to join when too few remain.
        public var rejoin: Duration

        public init(
            registration: Duration = .seconds(60), worker: Duration = .seconds(15), interval: Duration = .seconds(1),
            rejoin: Duration = .seconds(60)
        ) {
            self.registration = registration
            self.worker = worker
            self.interval = interval
            self.rejoin = rejoin
        }
    }

    public struct Policy: Sendable {
        /// Below this many workers the run pauses (and waits for more, up to the rejoin timeout).
        public var minWorkers: Int
        /// Whether a worker that joins during the run takes over shards from the others.
        public var rebalance: Bool
        /// Models of at most this many parameters are summed by the coordinator (a star), larger
        /// ones by a ring of workers (see RingPlan).
        public var starLimit: Int

        public init(minWorkers: Int = 1, rebalance: Bool = true, starLimit: Int = RingPlan.defaultChunkSize) {
            self.minWorkers = minWorkers
            self.rebalance = rebalance
            self.starLimit = starLimit
        }
    }

    public enum Outcome: Equatable, Sendable {
        case finished
        /// The run stopped early; the reason names its cause (and the checkpoint written).
        case failed(String)
    }
}
