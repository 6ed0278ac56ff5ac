// A weight penalty as Keras's `kernel_regularizer` / `bias_regularizer` states it: l1 * sum(|w|) +
// l2 * sum(w^2), added to the loss (Keras's `l1`, `l2` and `l1_l2` are this with one or both terms).

public struct Regularizer: Sendable, Equatable, Codable {
    public var l1: Float
    public var l2: Float

    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }
}
