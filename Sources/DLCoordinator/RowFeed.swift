// The data file's rows streamed to the workers that own their shards: one pass over the file per
// feed, a chunk at a time, so that the coordinator holds a chunk and never the table. Each chunk
// becomes one shard-rows message per shard and part that has rows in it, each row with its place
// (its slot in the shard's dealt order, or its offset in the shard's validation block).
//
// A feed serves a fixed set of routes (shard to worker): the initial deal serves every shard, a
// recovery only the shards that changed hands. The file is opened at the first chunk, so routes
// can still be added until then. The rows are read again for every feed, and RowStream refuses a
// file whose content is not the one the job started with, before its last chunk.

import DLData
import DLProtocol

final class RowFeed {
    /// Which worker each shard's rows go to.
    private(set) var routes: [Int: Int]
    private let data: DataDescription
    private let shardCount: Int
    private let chunkSize: Int
    /// Each training row's position in the deal (ShardSchedule.dealtPositions), shared by every feed.
    private let positions: [Int32]
    private var stream: RowStream?
    private(set) var finished = false

    init(routes: [Int: Int], data: DataDescription, shardCount: Int, positions: [Int32], chunkSize: Int) {
        self.routes = routes
        self.data = data
        self.shardCount = shardCount
        self.positions = positions
        self.chunkSize = chunkSize
    }

    var started: Bool { stream != nil }

    /// The workers some route leads to.
    var destinations: Set<Int> { Set(routes.values) }

    /// Sends `shards` to `worker` too; only before the first chunk is read.
    func add(_ shards: [Int], to worker: Int) {
        precondition(!started)
        for shard in shards { routes[shard] = worker }
    }

    /// Stops sending to `worker` (lost); whether any route remains.
    func dropRoutes(to worker: Int) -> Bool {
        routes = routes.filter { $0.value != worker }
        return !routes.isEmpty
    }

    /// The next chunk's messages, by worker; nil once the whole file was sent (or throws a
    /// DataError: a bad record, or a file that changed).
    func next() throws -> [(worker: Int, rows: ShardRows)]? {
        if stream == nil { stream = try data.rows(chunkSize: chunkSize) }
        guard let chunk = try stream!.next() else {
            finished = true
            return nil
        }
        var pieces: [PieceKey: Piece] = [:]
        let rows = chunk.rows, width = rows.featureCount, targetWidth = rows.targetWidth
        try rows.features.withUnsafeBufferPointer { features in
            try rows.targets.withUnsafeBufferPointer { targets in
                for row in 0..<rows.count {
                    let index = chunk.firstRow + row
                    let key: PieceKey, place: Int
                    if index < data.trainingCount {
                        let position = Int(positions[index])
                        key = PieceKey(shard: position % shardCount, part: .training)
                        place = position / shardCount
                    } else {
                        let validationRow = index - data.trainingCount
                        guard let shard = ShardSchedule.validationShard(
                            ofRow: validationRow, shardCount: shardCount, rowCount: data.validationCount)
                        else { throw DataError.fileChanged(path: data.path, detail: grown) }
                        key = PieceKey(shard: shard, part: .validation)
                        place = validationRow - ShardSchedule.validationRange(
                            shard: shard, shardCount: shardCount, rowCount: data.validationCount).lowerBound
                    }
                    guard routes[key.shard] != nil else { continue }
                    pieces[key, default: Piece()].add(
                        place: place, features: UnsafeBufferPointer(rebasing: features[(row * width)..<((row + 1) * width)]),
                        targets: UnsafeBufferPointer(rebasing: targets[(row * targetWidth)..<((row + 1) * targetWidth)]))
                }
            }
        }
        return pieces.sorted { ($0.key.shard, $0.key.part.rawValue) < ($1.key.shard, $1.key.part.rawValue) }.map { key, piece in
            (routes[key.shard]!, ShardRows(
                shard: key.shard, part: key.part, featureCount: width, targetWidth: targetWidth, places: piece.places,
                features: piece.features, targets: piece.targets))
        }
    }

    /// Why a row beyond the described ones is refused (RowStream refuses its chunk first).
    private var grown: String { "it has more than the \(data.trainingCount + data.validationCount) rows it had when the job started" }

    private struct PieceKey: Hashable {
        let shard: Int
        let part: ShardRows.Part
    }

    private struct Piece {
        var places: [UInt32] = []
        var features: [Float] = []
        var targets: [Float] = []

        mutating func add(place: Int, features rowFeatures: UnsafeBufferPointer<Float>, targets rowTargets: UnsafeBufferPointer<Float>) {
            places.append(UInt32(place))
            features.append(contentsOf: rowFeatures)
            targets.append(contentsOf: rowTargets)
        }
    }
}
