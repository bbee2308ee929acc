/// The `--name=value` flags an instruction accepts, parsed with BuildKit's `BFlags` rules:
/// unknown flags and repeated single-valued flags are errors, booleans may omit `=true`.
struct FlagSet {
    enum Kind { case bool, string, strings }

    private var kinds: [String: Kind] = [:]
    private(set) var values: [String: [String]] = [:]
    /// Byte offset of each flag that was given, for locating later errors.
    private(set) var offsets: [String: Int] = [:]
    /// Byte offset of every value of each flag, in order.
    private(set) var valueOffsets: [String: [Int]] = [:]

    init(_ declared: [String: Kind]) {
        kinds = declared
    }

    /// Reads `tokens` (each `--name[=value]`).
    mutating func parse(_ tokens: [Token]) throws(InstructionFailure) {
        for token in tokens {
            guard token.text.hasPrefix("--") else {
                throw InstructionFailure("arg should start with -- : \(token.text)", at: token.offset)
            }
            let body = token.text.dropFirst(2)
            let name: String
            var value: String? = nil
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard let kind = kinds[name] else {
                let hint = Suggestion.nearest(name, among: Array(kinds.keys)).map { " (did you mean --\($0)?)" } ?? ""
                throw InstructionFailure("unknown flag: --\(name)\(hint)", at: token.offset)
            }
            if values[name] != nil && kind != .strings {
                throw InstructionFailure("duplicate flag specified: --\(name)", at: token.offset)
            }
            offsets[name] = offsets[name] ?? token.offset
            valueOffsets[name, default: []].append(token.offset)
            switch kind {
            case .bool:
                if let value, value.isEmpty {
                    throw InstructionFailure("missing a value on flag: --\(name)", at: token.offset)
                }
                let lowered = (value ?? "true").lowercased()
                guard lowered == "true" || lowered == "false" else {
                    throw InstructionFailure("expecting boolean value for flag --\(name), not: \(value ?? "")",
                                             at: token.offset)
                }
                values[name] = [lowered]
            case .string, .strings:
                guard let value else {
                    throw InstructionFailure("missing a value on flag: --\(name)", at: token.offset)
                }
                values[name, default: []].append(value)
            }
        }
    }

    func string(_ name: String) -> String? { values[name]?.last }

    func strings(_ name: String) -> [String] { values[name] ?? [] }

    func bool(_ name: String) -> Bool { values[name]?.last == "true" }

    /// The value of a boolean flag, nil when the flag was not given.
    func optionalBool(_ name: String) -> Bool? { values[name].map { $0.last == "true" } }
}
