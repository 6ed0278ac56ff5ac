// Reading a JSON job file (`--config`): the same settings as the flags, under snake_case keys.
//
// Every mistake is located: a syntax error at its line and column, a value of the wrong type
// (`"epochs": 1.5`) or out of range (`"epochs": 1e30`, `"min_delta": NaN` cannot even be written)
// at its key's line and column, an unknown key (`"epoch"`) with the key it probably meant, a key
// given twice. The file is read only if it is a regular file of at most `largestFile` bytes: a
// job file names the data, it never is the data (`--config /dev/zero` must not read for ever).

import DLCore
import DLTraining
import Foundation

public enum JobFile {
    /// The largest job file read: a job file is a few hundred bytes.
    public static let largestFile = 1 << 20

    public static func read(_ path: String) throws -> JobSettings {
        try decode(try contents(of: path), path: path)
    }

    /// The file's bytes, if it is a regular file of at most `largestFile` bytes.
    private static func contents(of path: String) throws -> Data {
        do {
            return Data(try FileBytes.read(path, maximum: largestFile, bound: "a job file may have"))
        } catch {
            throw RunError.badJobFile(path: path, reason: "\(error)")
        }
    }

    /// A job file's bytes; `path` names them in errors.
    public static func decode(_ data: Data, path: String) throws -> JobSettings {
        let locations: JSONLocations
        do {
            locations = try JSONLocations(scanning: [UInt8](data))
        } catch {
            throw RunError.badJobFileEntry(
                path: path, line: error.position.line, column: error.position.column, key: nil,
                reason: "not valid JSON: expected \(error.expected) here")
        }
        guard locations.topLevelIsObject else {
            throw RunError.badJobFile(path: path, reason: "a job file is one JSON object, such as {\"epochs\": 10}")
        }
        var seen = Set<String>()
        for (key, position) in locations.topLevelKeys {
            guard JobSettings.keys.contains(key) else {
                throw RunError.unknownJobFileKey(
                    path: path, line: position.line, column: position.column, key: key,
                    meant: EditDistance.nearest(to: key, among: JobSettings.keys))
            }
            guard seen.insert(key).inserted else {
                throw RunError.badJobFileEntry(
                    path: path, line: position.line, column: position.column, key: key, reason: "the key is given twice")
            }
        }
        let settings: JobSettings
        do {
            settings = try JSONDecoder().decode(JobSettings.self, from: data)
        } catch let error as DecodingError {
            throw located(error, in: locations, path: path)
        }
        do {
            try settings.validate()
        } catch {
            guard case let .badSetting(key, value, reason) = error else { throw error }
            let position = locations.entry(key.split(separator: ".").map(String.init))?.value
            throw RunError.badJobFileEntry(
                path: path, line: position?.line ?? 1, column: position?.column ?? 1, key: key, reason: "\(value): \(reason)")
        }
        return settings
    }

    /// A decoding error at the line and column of the value it is about.
    private static func located(_ error: DecodingError, in locations: JSONLocations, path: String) -> RunError {
        let context: DecodingError.Context, reason: String
        switch error {
        case let .typeMismatch(type, found):
            context = found
            reason = "should be \(describe(type))"
        case let .valueNotFound(type, found):
            context = found
            reason = "should be \(describe(type)), found null"
        case let .keyNotFound(key, found):
            context = found
            reason = "missing key \(key.stringValue)"
        case let .dataCorrupted(found):
            context = found
            reason = found.debugDescription
        @unknown default:
            return .badJobFile(path: path, reason: "\(error)")
        }
        let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        // The innermost key the scan recorded (a list's element is recorded under its index too).
        let position = (0...keys.count).reversed().lazy.compactMap { locations.entry(Array(keys.prefix($0)))?.value }.first
        return .badJobFileEntry(
            path: path, line: position?.line ?? 1, column: position?.column ?? 1,
            key: keys.isEmpty ? nil : keys.joined(separator: "."), reason: reason)
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [String].Type: "a list of strings"
        default: "\(type)"
        }
    }
}
