import Foundation

/// A `--secret` flag as buildx reads it: `id=ID[,src=PATH|source=PATH][,env=VAR][,type=file|env]`.
/// With neither `src` nor `env`, the value comes from the environment variable named `id` when it
/// is set, else from the file named `id`.
public struct SecretSource: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        case file(String)
        case environment(String)
    }

    public var id: String
    public var origin: Origin

    public init(id: String, origin: Origin) {
        self.id = id
        self.origin = origin
    }

    public init(parsing text: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var id: String?
        var path: String?
        var variable: String?
        var type: String?
        for field in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw RequestError.badFlag("--secret", text, "expected key=value, got '\(field)'") }
            switch parts[0].lowercased() {
            case "id": id = parts[1]
            case "src", "source": path = parts[1]
            case "env": variable = parts[1]
            case "type":
                guard ["file", "env"].contains(parts[1]) else {
                    throw RequestError.badFlag("--secret", text, "type must be file or env, not '\(parts[1])'")
                }
                type = parts[1]
            default:
                throw RequestError.badFlag("--secret", text, "unknown key '\(parts[0])' (expected id, src, env or type)")
            }
        }
        if type == "env", variable == nil { variable = path; path = nil }
        guard let id = id ?? path.map({ ($0 as NSString).lastPathComponent }) ?? variable, !id.isEmpty else {
            throw RequestError.badFlag("--secret", text, "an id is required")
        }
        self.id = id
        if let path {
            origin = .file(path)
        } else if let variable {
            origin = .environment(variable)
        } else {
            // buildx's short form `id=ID`: the variable ID when it is set, else the file ID.
            origin = environment[id] != nil ? .environment(id) : .file(id)
        }
    }

    /// Reads the value now. A missing file or unset variable is an error naming it.
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Data {
        switch origin {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RequestError.secretUnavailable(id: id, reason: "cannot read file \(path)")
            }
            return data
        case .environment(let name):
            guard let value = environment[name] else {
                throw RequestError.secretUnavailable(id: id, reason: "environment variable \(name) is not set")
            }
            return Data(value.utf8)
        }
    }
}
