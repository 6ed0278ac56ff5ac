// The matrix products of a Dense layer's forward and backward passes, on row-major float32 buffers.
//
// The products themselves are in CKernels (C, with AVX2 variants chosen at run time): every output
// element is accumulated in one fixed order and never with a fused multiply-add, so the result is
// the same bit for bit on every processor, with or without vector instructions.

import CKernels

enum MatrixKernels {
    /// out[rows x n] = a[rows x k] * b[k x n] + bias[n] on every row.
    static func multiplyAddingBias(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int
    ) {
        dl_multiply_adding_bias(a, b, bias, out, rows, k, n)
    }

    /// out[k x n] += a[rows x k]^T * b[rows x n]: the kernel gradient summed over the rows in order.
    static func accumulateTransposedProduct(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int
    ) {
        dl_accumulate_transposed_product(a, b, out, rows, k, n)
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
        dl_transpose(a, out, k, n)
    }

    /// out[rows x k] = a[rows x n] * bT[n x k], where bT is a kernel transposed: the input gradient.
    static func multiply(
        _ a: UnsafePointer<Float>, _ bT: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner n: Int, columns k: Int
    ) {
        dl_multiply(a, bT, out, rows, n, k)
    }
}
