import Foundation

/// One build case of `Corpus/cases`: its directory and what `case.json` expects of it.
struct CorpusCase: CustomStringConvertible, Sendable {
    struct Build: Decodable, Sendable {
        var sourceDateEpoch: Int64?
        var args: [String: String]?
        var target: String?
        var buildContexts: [String: String]?
        var secrets: [String: String]?
    }

    struct Difference: Decodable, Sendable {
        var file: String
        var line: Int
        var cause: String
        var variation: String
    }

    struct Expect: Decodable, Sendable {
        var reproducible: Bool
        var files: [String: String]?
        var absentFiles: [String]?
        var config: [String: JSONValue]?
        var stagesBuilt: [String]?
        var differences: [Difference]?
    }

    struct Definition: Decodable, Sendable {
        var description: String
        var build: Build
        var expect: Expect
    }

    let name: String
    let directory: String
    let definition: Definition

    var description: String { name }

    static var all: [CorpusCase] {
        let root = CorpusBaseImage.repositoryRoot + "/Corpus/cases"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().compactMap { name in
            let directory = root + "/" + name
            guard let data = FileManager.default.contents(atPath: directory + "/case.json"),
                  let definition = try? JSONDecoder().decode(Definition.self, from: data) else { return nil }
            return CorpusCase(name: name, directory: directory, definition: definition)
        }
    }

    static var deterministic: [CorpusCase] { all.filter { $0.definition.expect.reproducible } }
    static var nondeterministic: [CorpusCase] { all.filter { !$0.definition.expect.reproducible } }

    /// The `reprise build` arguments this case asks for.
    func buildArguments(journal: String, output: String) -> [String] {
        var arguments = ["build", "--journal", journal, "--progress", "plain", directory,
                         "--output", "type=oci,dest=\(output),tar=false"]
        if let epoch = definition.build.sourceDateEpoch { arguments += ["--build-arg", "SOURCE_DATE_EPOCH=\(epoch)"] }
        for (key, value) in (definition.build.args ?? [:]).sorted(by: { $0.key < $1.key }) {
            arguments += ["--build-arg", "\(key)=\(value)"]
        }
        if let target = definition.build.target { arguments += ["--target", target] }
        for (name, path) in (definition.build.buildContexts ?? [:]).sorted(by: { $0.key < $1.key }) {
            let resolved = path.hasPrefix("/") || path.contains("://") ? path : directory + "/" + path
            arguments += ["--build-context", "\(name)=\(resolved)"]
        }
        return arguments
    }
}

/// Any JSON value, for expectations on config fields of any shape.
enum JSONValue: Decodable, Equatable, Sendable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}
