// Files that are not CSV text dltrain reads, told by their first bytes, each with what to do: a
// spreadsheet saved as a workbook, a compression other than gzip, UTF-16 text (Excel's "Unicode
// Text"), and lines ended by carriage returns alone. Refusing them when the file is opened gives
// one clear message instead of whatever the CSV reader would make of their bytes.

public enum UnreadableFormat: Sendable, Equatable, CustomStringConvertible {
    /// A zip archive: an Excel .xlsx or OpenDocument .ods workbook, or a zipped CSV.
    case zip
    /// A pre-2007 Excel .xls workbook (an OLE2 compound file).
    case excelWorkbook
    case bzip2
    case xz
    case zstd
    /// Text in UTF-16, which starts with its byte-order mark.
    case utf16
    /// Lines ended by a carriage return alone (classic Mac OS), so the file is one long line.
    case carriageReturnLines

    /// The format the stored bytes start with, when it is one of those dltrain refuses.
    init?(storedStart bytes: [UInt8]) {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .zip
        } else if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            self = .excelWorkbook
        } else if bytes.starts(with: [0x42, 0x5A, 0x68]) && bytes.count > 3 && (0x31...0x39).contains(bytes[3]) {
            self = .bzip2  // "BZh" and the block size, 1 to 9
        } else if bytes.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
            self = .xz
        } else if bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
            self = .zstd
        } else {
            return nil
        }
    }

    /// The format the text (after any decompression) starts with, when dltrain refuses it.
    init?(textStart bytes: [UInt8]) {
        guard bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) else { return nil }
        self = .utf16
    }

    public var description: String {
        switch self {
        case .zip:
            return "this is a zip archive (an Excel .xlsx or .ods workbook is one), not CSV text: "
                + "save the sheet as CSV (\"CSV UTF-8\" in Excel), or unzip the CSV it holds"
        case .excelWorkbook:
            return "this is an Excel .xls workbook, not CSV text: save the sheet as CSV (\"CSV UTF-8\" in Excel)"
        case .bzip2:
            return "this file is compressed with bzip2, which dltrain does not read: decompress it (bunzip2) "
                + "or compress the CSV with gzip instead"
        case .xz:
            return "this file is compressed with xz, which dltrain does not read: decompress it (unxz) "
                + "or compress the CSV with gzip instead"
        case .zstd:
            return "this file is compressed with zstd, which dltrain does not read: decompress it (unzstd) "
                + "or compress the CSV with gzip instead"
        case .utf16:
            return "this text is UTF-16 (Excel's \"Unicode Text\"), and dltrain reads UTF-8: save the sheet as "
                + "\"CSV UTF-8\", or convert the file with iconv -f UTF-16 -t UTF-8"
        case .carriageReturnLines:
            return "its lines end with a carriage return alone (classic Mac OS), so the file reads as one line: "
                + "convert the line ends, for example with tr '\\r' '\\n' < FILE > FILE-converted.csv"
        }
    }
}
