// exchange: the ZeroMQ traffic of one synchronous step without the trainer. A coordinator (ROUTER)
// sends F float32 to each of N workers (DEALER, each its own process), each worker answers with F
// float32, and the round ends when all N answers are in: the floor under dltrain's time per step in
// a distributed run. Messages go through the socket calls dltrain's coordinator and workers use:
// written in place into libzmq's buffer, read in place where libzmq received them; with
// --secret-file, encrypted with CURVE as dltrain's are, so the two show what encryption alone costs.
// The coordinator prints the median and 90th percentile round time.

import ArgumentParser
import DLTransport
import Foundation

struct Exchange: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange", abstract: "Round-trip time of the per-step ROUTER/DEALER exchange, without the trainer.")

    enum Role: String, ExpressibleByArgument { case coordinator, worker }

    @Option(help: "coordinator (binds a ROUTER) or worker (connects a DEALER).") var role: Role
    @Option(help: "Where the coordinator binds and the workers connect, e.g. ipc:///tmp/x.ipc or tcp://127.0.0.1:5599.")
    var endpoint: String
    @Option(help: "How many workers the coordinator waits for.") var workers: Int = 1
    @Option(help: "float32 values in each message, both ways.") var floats: Int = 571
    @Option(help: "Timed rounds.") var rounds: Int = 2000
    @Option(help: "Untimed rounds first.") var warmup: Int = 200
    @Option(help: "How long to wait for peers, in seconds.") var timeout: Double = 30
    @Option(name: .customLong("secret-file"), help: "Encrypt with the CURVE keys of this job secret, as dltrain does.")
    var secretFile: String?

    func validate() throws {
        guard workers >= 1, floats >= 1, rounds >= 1, warmup >= 0, timeout > 0 else {
            throw ValidationError("--workers, --floats and --rounds must be at least 1, --warmup at least 0")
        }
    }

    func run() throws {
        let context = try ZMQContext()
        let keys = try secretFile.map { try JobKeys(secret: JobSecret.read(path: $0)) }
        switch role {
        case .coordinator:
            let handler = try ZAPHandler.admittingWorkers(of: keys, context: context) { _ in }
            defer { handler?.stop() }
            try coordinate(context, security: keys?.serverOptions ?? [])
        case .worker:
            try work(context, security: keys?.clientOptions ?? [])
        }
    }

    private var wait: Duration { .milliseconds(Int(timeout * 1000)) }

    private func coordinate(_ context: ZMQContext, security: [ZMQSocketOption]) throws {
        let socket = try ZMQSocket(.router, context: context)
        defer { socket.close() }
        try socket.set([.linger(.seconds(2)), .routerMandatory(true)] + security)
        try socket.bind(endpoint)

        var peers: [[UInt8]] = []
        while peers.count < workers {
            var peer: [UInt8]?
            guard try socket.receive(timeout: wait, { _, id, parts in if parts == 2 { peer = id.map(Array.init) } }),
                let peer
            else {
                throw BenchError("only \(peers.count) of \(workers) workers said hello within \(timeout) s")
            }
            if !peers.contains(peer) { peers.append(peer) }
        }

        var payload = [Float](repeating: 0, count: floats)
        var times: [Double] = []
        times.reserveCapacity(rounds)
        for round in 0..<(warmup + rounds) {
            payload[0] = Float(round)
            let started = Clock.now()
            for peer in peers {
                _ = try payload.withUnsafeBytes { values in
                    try socket.send(prefix: peer, count: values.count, timeout: wait) { $0.copyMemory(from: values) }
                }
            }
            for _ in 0..<peers.count {
                var answered = false
                _ = try socket.receive(timeout: wait) { bytes, _, parts in
                    guard parts == 2, bytes.count == 4 * floats else { return }
                    precondition(bytes.loadUnaligned(as: Float.self) == Float(round), "an answer from another round")
                    answered = true
                }
                guard answered else { throw BenchError("a worker did not answer round \(round) within \(timeout) s") }
            }
            if round >= warmup { times.append((Clock.now() - started) * 1e6) }
        }
        for peer in peers { _ = try socket.send(prefix: peer, count: 0, timeout: wait) { _ in } }

        let median = Report.median(times), p90 = Report.percentile(times, 90), p10 = Report.percentile(times, 10)
        let mean = times.reduce(0, +) / Double(times.count)
        print("exchange over \(endpoint): \(workers) worker(s), \(floats) floats each way, \(rounds) rounds: "
            + "median \(String(format: "%.1f", median)) us, p90 \(String(format: "%.1f", p90)) us per round")
        Report.result([
            "case": "exchange", "endpoint": endpoint, "workers": workers, "floats": floats, "bytes": 4 * floats,
            "rounds": rounds, "warmup": warmup, "encrypted": secretFile != nil, "us_median": Report.rounded(median, 1), "us_p90": Report.rounded(p90, 1),
            "us_p10": Report.rounded(p10, 1), "us_mean": Report.rounded(mean, 1),
        ])
    }

    private func work(_ context: ZMQContext, security: [ZMQSocketOption]) throws {
        let socket = try ZMQSocket(.dealer, context: context)
        try socket.set([.linger(.seconds(1)), .reconnectInterval(.milliseconds(20))] + security)
        try socket.connect(endpoint)
        guard try socket.send(prefix: nil, count: 1, timeout: wait, write: { $0[0] = 1 }) else {
            throw BenchError("could not say hello to the coordinator within \(timeout) s")
        }

        var answer = [Float](repeating: 0, count: floats)
        while true {
            var request: (count: Int, parts: Int)?
            // Read the parameters in place, as a worker does, and answer with a buffer of our own.
            try socket.receive(timeout: wait) { bytes, _, parts in
                request = (bytes.count, parts)
                if parts == 1 && bytes.count == 4 * floats { answer.withUnsafeMutableBytes { $0.copyMemory(from: bytes) } }
            }
            guard let request else { throw BenchError("the coordinator sent nothing for \(timeout) s") }
            guard request.parts == 1 else { throw BenchError("unexpected message of \(request.parts) frames") }
            if request.count == 0 { return }  // the end
            guard request.count == 4 * floats else { throw BenchError("expected \(4 * floats) bytes, got \(request.count)") }
            _ = try answer.withUnsafeBytes { values in
                try socket.send(prefix: nil, count: values.count, timeout: wait) { $0.copyMemory(from: values) }
            }
        }
    }
}
