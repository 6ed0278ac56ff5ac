// Reading a JSON job file (`--config`): the same settings as the flags, under snake_case keys.

import DLTraining
import Foundation

public enum JobFile {
    public static func read(_ path: String) throws -> JobSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.badJobFile(path: path, reason: "cannot read the file (missing, or not readable)")
        }
        return try decode(data, path: path)
    }

    /// A job file's bytes; `path` names them in errors.
    public static func decode(_ data: Data, path: String) throws -> JobSettings {
        do {
            return try JSONDecoder().decode(JobSettings.self, from: data)
        } catch let error as DecodingError {
            throw RunError.badJobFile(path: path, reason: describe(error))
        } catch {
            throw RunError.badJobFile(path: path, reason: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [CodingKey]) -> String {
            path.isEmpty ? "the top level" : "\"" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "\""
        }
        switch error {
        case let .typeMismatch(type, context):
            return "\(where_(context.codingPath)) should be \(type)"
        case let .valueNotFound(type, context):
            return "\(where_(context.codingPath)) should be \(type), found null"
        case let .keyNotFound(key, _):
            return "missing key \(key.stringValue)"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
