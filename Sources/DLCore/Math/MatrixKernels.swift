// The matrix products of a Dense layer's forward and backward passes, on row-major float32 buffers.
//
// Each loop runs along contiguous rows (a scaled row added to another), which the compiler turns into
// vector instructions without reassociating any sum: every output element is accumulated in one
// fixed order, so results are reproducible bit for bit.

enum MatrixKernels {
    /// out[rows x n] = a[rows x k] * b[k x n] + bias[n] on every row.
    static func multiplyAddingBias(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int
    ) {
        for row in 0..<rows {
            let outRow = out + row * n
            outRow.update(from: bias, count: n)
            let aRow = a + row * k
            for i in 0..<k {
                let scale = aRow[i]
                let bRow = b + i * n
                for j in 0..<n { outRow[j] += scale * bRow[j] }
            }
        }
    }

    /// out[k x n] += a[rows x k]^T * b[rows x n]: the kernel gradient summed over the rows in order.
    static func accumulateTransposedProduct(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int
    ) {
        for row in 0..<rows {
            let aRow = a + row * k
            let bRow = b + row * n
            for i in 0..<k {
                let scale = aRow[i]
                let outRow = out + i * n
                for j in 0..<n { outRow[j] += scale * bRow[j] }
            }
        }
    }

    /// out[n] += the column sums of a[rows x n], row by row: the bias gradient.
    static func accumulateColumnSums(
        _ a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, columns n: Int
    ) {
        for row in 0..<rows {
            let aRow = a + row * n
            for j in 0..<n { out[j] += aRow[j] }
        }
    }

    /// out[n x k] = a[k x n]^T.
    static func transpose(
        _ a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows k: Int, columns n: Int
    ) {
        for i in 0..<k {
            for j in 0..<n { out[j * k + i] = a[i * n + j] }
        }
    }

    /// out[rows x k] = a[rows x n] * bT[n x k], where bT is a kernel transposed: the input gradient.
    static func multiply(
        _ a: UnsafePointer<Float>, _ bT: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner n: Int, columns k: Int
    ) {
        for row in 0..<rows {
            let outRow = out + row * k
            outRow.update(repeating: 0, count: k)
            let aRow = a + row * n
            for j in 0..<n {
                let scale = aRow[j]
                let bRow = bT + j * k
                for i in 0..<k { outRow[i] += scale * bRow[i] }
            }
        }
    }
}
