// Levenshtein's edit distance, and the nearest of some names to a misspelled one: what an unknown
// option (`--epoch`) or an unknown job-file key (`"epoch"`) is told it probably meant.

public enum EditDistance {
    /// The fewest single-character insertions, deletions and substitutions that turn `a` into `b`.
    public static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                let substitution = previous[j] + (x == y ? 0 : 1)
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, substitution))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The name of `names` nearest to `name` when it is near: at most 2 edits away, or a quarter of
    /// its length for long names; the first in `names`' order on a tie.
    public static func nearest(to name: String, among names: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in names {
            let away = between(name, candidate)
            if away < best?.distance ?? Int.max { best = (candidate, away) }
        }
        guard let best, best.distance <= max(2, name.count / 4) else { return nil }
        return best.name
    }
}
