// CRC-32C (Castagnoli), the checksum TFRecord framing puts around every record of a TensorBoard
// event file, and its "masked" form. Neither Swift's packages here nor Debian's C libraries export
// CRC-32C (zlib's crc32 is the IEEE polynomial), and a table-driven CRC is a dozen lines: see
// docs/design.md, "Hand-written code".

enum CRC32C {
    /// The reflected Castagnoli polynomial.
    private static let polynomial: UInt32 = 0x82F6_3B78

    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        return crc
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// TFRecord stores the CRC rotated and offset, because a CRC of data that itself holds CRCs
    /// is weak (TensorFlow's tsl/lib/hash/crc32c.h).
    static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
