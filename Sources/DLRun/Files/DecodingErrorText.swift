// A JSON decoding error as one clause that says where in the value it is and what is wrong
// (`layers.0.units should be Int`), for the errors that name a file's metadata value.

extension DecodingError {
    var located: String {
        func place(_ path: [CodingKey]) -> String {
            path.isEmpty ? "the value" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case let .typeMismatch(type, context): return "\(place(context.codingPath)) should be \(type)"
        case let .valueNotFound(type, context): return "\(place(context.codingPath)) should be \(type), found null"
        case let .keyNotFound(key, context): return "\(place(context.codingPath)) lacks \(key.stringValue)"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
