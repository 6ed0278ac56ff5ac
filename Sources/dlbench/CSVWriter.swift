// The CSV text the generators (gen-synth, gen-table) write: bytes into a fixed buffer flushed to the
// file, numbers formatted in place as printf's `%.Nf` and `%d` would print them.

import Foundation

/// Buffered output of CSV text into a fixed buffer.
final class CSVWriter {
    private let descriptor: Int32
    private let path: String
    private let capacity = 1 << 23
    private let buffer: UnsafeMutablePointer<UInt8>
    private(set) var pending = 0

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Flushes when fewer than `bytes` are free, so a caller writing at most that much needs no check.
    func reserve(_ bytes: Int) throws {
        precondition(bytes <= capacity)
        if capacity - pending < bytes { try flush() }
    }

    @inline(__always) func byte(_ value: UInt8) {
        buffer[pending] = value
        pending += 1
    }

    /// Bytes as they are (a field's text, a header).
    @inline(__always) func text(_ bytes: [UInt8]) {
        for value in bytes { byte(value) }
    }

    /// `value` with six decimals, as printf's `%.6f` prints it. At most 21 bytes.
    @inline(__always) func fixed6(_ value: Double) {
        fixed(value, decimals: 6)
    }

    /// `value` with `decimals` (0 to 9) decimals, rounded to nearest (ties away from zero): what
    /// printf's `%.Nf` prints for all but exact ties. At most 22 bytes for |value| < 9e12.
    @inline(__always) func fixed(_ value: Double, decimals: Int) {
        precondition(value.isFinite && abs(value) < 9e12 && (0...9).contains(decimals))
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = UInt64((abs(value) * Double(scale)).rounded())
        if value.sign == .minus { byte(UInt8(ascii: "-")) }
        digits(scaled / scale)
        guard decimals > 0 else { return }
        byte(UInt8(ascii: "."))
        var fraction = scaled % scale
        var q = buffer + pending + decimals - 1
        for _ in 0..<decimals {
            q.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
            q -= 1
        }
        pending += decimals
    }

    /// A whole number in decimal, as `%d` prints it.
    @inline(__always) func integer(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        digits(UInt64(value.magnitude))
    }

    /// The decimal digits of `whole`, at least one.
    @inline(__always) private func digits(_ whole: UInt64) {
        var count = 1, probe = whole
        while probe >= 10 {
            probe /= 10
            count += 1
        }
        var rest = whole
        var q = buffer + pending + count - 1
        repeat {
            q.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            q -= 1
        } while rest > 0
        pending += count
    }

    func flush() throws {
        var offset = 0
        while offset < pending {
            let written = write(descriptor, buffer + offset, pending - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        pending = 0
    }

    func close() throws {
        try flush()
        guard closeDescriptor(descriptor) == 0 else { throw BenchError("cannot close \(path): \(String(cString: strerror(errno)))") }
    }
}

/// close(2), named apart from the method above that calls it.
private func closeDescriptor(_ descriptor: Int32) -> Int32 { Foundation.close(descriptor) }
