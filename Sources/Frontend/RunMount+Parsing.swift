/// Parsing `--mount` values (CSV `key=value` fields) into ``RunMount``.
extension RunMount {
    /// Every option key and the canonical option it stands for.
    static let canonicalKeys: [String: String] = [
        "type": "type", "from": "from", "source": "source", "src": "source",
        "target": "target", "dst": "target", "destination": "target",
        "readonly": "readonly", "ro": "readonly", "readwrite": "readwrite", "rw": "readwrite",
        "id": "id", "sharing": "sharing", "mode": "mode", "uid": "uid", "gid": "gid",
        "env": "env", "required": "required", "size": "size",
    ]

    /// The canonical options each type accepts.
    static let allowedKeys: [String: Set<String>] = [
        "bind": ["type", "from", "source", "target", "readonly", "readwrite"],
        "cache": ["type", "id", "target", "sharing", "mode", "uid", "gid", "from", "source",
                  "readonly", "readwrite"],
        "tmpfs": ["type", "target", "size", "readonly", "readwrite"],
        "secret": ["type", "id", "source", "target", "env", "required", "mode", "uid", "gid"],
        "ssh": ["type", "id", "target", "required", "mode", "uid", "gid"],
    ]

    /// Parses one `--mount` value. `expand` is applied to every value except `from`, which
    /// BuildKit never expands (a `$` in it is an error).
    static func parse(_ spec: String, expand: (String) throws(InstructionFailure) -> String)
        throws(InstructionFailure) -> RunMount
    {
        try parse(spec, deferringVariables: false, expand: expand)!
    }

    /// With `deferringVariables`, a spec whose values hold `$` is only checked for the
    /// `from` rule and returns nil: its type and values are known only after expansion.
    static func parse(_ spec: String, deferringVariables: Bool,
                      expand: (String) throws(InstructionFailure) -> String)
        throws(InstructionFailure) -> RunMount?
    {
        let fields = try csvFields(spec)
        if deferringVariables {
            for field in fields {
                let (key, value) = split(field)
                guard let value, value.contains("$") else { continue }
                if key.lowercased() == "from" {
                    if value.dropLast().contains("$") {
                        throw InstructionFailure(
                            "'from' doesn't support variable expansion, define alias stage instead")
                    }
                    continue
                }
                return nil
            }
        }
        var type = "bind"
        for field in fields {
            let (key, value) = split(field)
            if key.lowercased() == "type", let value {
                type = try expand(value).lowercased()
                guard allowedKeys[type] != nil else {
                    let hint = Suggestion.didYouMean(value, among: ["bind", "cache", "tmpfs", "secret", "ssh"])
                    throw InstructionFailure("unsupported mount type \"\(value)\"\(hint)")
                }
            }
        }
        var options: [String: String] = [:]
        for field in fields {
            let (rawKey, rawValue) = split(field)
            let key = rawKey.lowercased()
            guard let canonical = canonicalKeys[key] else {
                let hint = Suggestion.didYouMean(key, among: Array(canonicalKeys.keys))
                throw InstructionFailure("unexpected key '\(key)' in '\(field)'\(hint)")
            }
            guard allowedKeys[type]!.contains(canonical) else {
                throw InstructionFailure("option '\(key)' is not allowed for mount type '\(type)'")
            }
            if options[canonical] != nil || (canonical == "readonly" && options["readwrite"] != nil)
                || (canonical == "readwrite" && options["readonly"] != nil) {
                throw InstructionFailure("conflicting mount option '\(key)' in '\(spec)': given more than once")
            }
            var value: String
            if let rawValue {
                if canonical == "from" {
                    if rawValue.dropLast().contains("$") {
                        throw InstructionFailure(
                            "'from' doesn't support variable expansion, define alias stage instead")
                    }
                    value = rawValue
                } else {
                    value = try expand(rawValue)
                }
            } else {
                guard ["readonly", "readwrite", "required"].contains(canonical) else {
                    throw InstructionFailure("invalid field '\(field)' must be a key=value pair")
                }
                value = "true"
            }
            options[canonical] = value
        }
        return try build(type: type, options: options)
    }

    private static func split(_ field: String) -> (String, String?) {
        guard let equals = field.utf8.firstIndex(of: UInt8(ascii: "=")) else { return (field, nil) }
        let key = String(field[..<equals])
        let value = String(field[field.utf8.index(after: equals)...])
        return (key, value)
    }

    /// Go's `encoding/csv` for a single record: commas separate fields, double quotes group.
    static func csvFields(_ text: String) throws(InstructionFailure) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        var atFieldStart = true
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
                atFieldStart = true
                index += 1
                continue
            }
            let byte = bytes[index]
            if atFieldStart && byte == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    field.append(bytes[index])
                    index += 1
                }
                guard closed, index == bytes.count || bytes[index] == UInt8(ascii: ",") else {
                    throw InstructionFailure("failed to parse csv mounts: extraneous or missing \" in quoted-field")
                }
                atFieldStart = false
                continue
            }
            if byte == UInt8(ascii: "\"") {
                throw InstructionFailure("failed to parse csv mounts: bare \" in non-quoted-field")
            }
            atFieldStart = false
            field.append(byte)
            index += 1
        }
        return fields
    }

    private static func build(type: String, options: [String: String]) throws(InstructionFailure) -> RunMount {
        func bool(_ key: String) throws(InstructionFailure) -> Bool? {
            guard let value = options[key] else { return nil }
            guard let parsed = GoSyntax.parseBool(value) else {
                throw InstructionFailure("invalid value for \(key): \(value)")
            }
            return parsed
        }
        func number(_ key: String, radix: Int, default fallback: UInt32) throws(InstructionFailure) -> UInt32 {
            guard let value = options[key] else { return fallback }
            guard let parsed = UInt32(value, radix: radix) else {
                throw InstructionFailure("invalid value \(value) for \(key)")
            }
            return parsed
        }
        var readOnly: Bool? = try bool("readonly")
        if let readWrite = try bool("readwrite") { readOnly = !readWrite }
        let target = options["target"].flatMap { $0.isEmpty ? nil : $0 }
        // BuildKit resolves a missing or relative target against the working directory.
        func requireTarget() -> String { target ?? "" }
        switch type {
        case "bind":
            return .bind(BindMount(target: requireTarget(), source: options["source"],
                                   from: options["from"], readWrite: !(readOnly ?? true)))
        case "cache":
            let target = requireTarget()
            var sharing = CacheSharing.shared
            if let value = options["sharing"] {
                guard let parsed = CacheSharing(rawValue: value.lowercased()) else {
                    let hint = Suggestion.didYouMean(value, among: CacheSharing.allCases.map(\.rawValue))
                    throw InstructionFailure("unsupported sharing value \"\(value)\"\(hint)")
                }
                sharing = parsed
            }
            return .cache(CacheMount(
                target: target, id: options["id"].flatMap { $0.isEmpty ? nil : $0 } ?? target,
                sharing: sharing, mode: try number("mode", radix: 8, default: 0o755),
                uid: try number("uid", radix: 10, default: 0), gid: try number("gid", radix: 10, default: 0),
                from: options["from"], source: options["source"], readOnly: readOnly ?? false))
        case "tmpfs":
            var size: Int64? = nil
            if let value = options["size"] {
                guard let parsed = GoSyntax.parseRAMBytes(value) else {
                    throw InstructionFailure("invalid value for size: \(value)")
                }
                size = parsed
            }
            return .tmpfs(TmpfsMount(target: requireTarget(), sizeBytes: size))
        case "secret":
            if options["source"] != nil && options["id"] != nil {
                throw InstructionFailure("both source and id can't be set")
            }
            let explicitID = options["id"] ?? options["source"]
            guard explicitID != nil || target != nil || options["env"] != nil else {
                throw InstructionFailure("invalid secret mount. one of id, source, target or env required")
            }
            let id = explicitID ?? target.map(baseName) ?? options["env"]!
            return .secret(SecretMount(
                id: id, target: target, env: options["env"], required: try bool("required") ?? false,
                mode: try number("mode", radix: 8, default: 0o400),
                uid: try number("uid", radix: 10, default: 0), gid: try number("gid", radix: 10, default: 0)))
        default:
            return .ssh(SSHMount(
                id: options["id"].flatMap { $0.isEmpty ? nil : $0 } ?? "default", target: target,
                required: try bool("required") ?? false, mode: try number("mode", radix: 8, default: 0o600),
                uid: try number("uid", radix: 10, default: 0), gid: try number("gid", radix: 10, default: 0)))
        }
    }

    private static func baseName(_ path: String) -> String {
        let trimmed = path.split(separator: "/").last.map(String.init) ?? path
        return trimmed.isEmpty ? path : trimmed
    }
}
