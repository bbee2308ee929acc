import Foundation

/// One build case of `Corpus/cases`: its directory and what `case.json` expects of it.
struct CorpusCase: CustomStringConvertible, Sendable {
    struct Build: Decodable, Sendable {
        var sourceDateEpoch: Int64?
        var args: [String: String]?
        var target: String?
        var buildContexts: [String: String]?
        /// Secret id → file (relative to the case), passed as `--secret id=ID,src=FILE`.
        var secrets: [String: String]?
        /// Secret id → value, passed through an environment variable as `--secret id=ID,env=VAR`.
        var secretEnv: [String: String]?
        /// `--platform`: another architecture's case runs its RUN steps under QEMU emulation.
        var platform: String?
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
            if let platform = definition.build.platform, platform != "linux/amd64", !CorpusArm64Image.emulationAvailable {
                FileHandle.standardError.write(Data("Corpus case \(name) (\(platform)) skipped: \(CorpusArm64Image.skipReason)\n".utf8))
                return nil
            }
            return CorpusCase(name: name, directory: directory, definition: definition)
        }
    }

    static var deterministic: [CorpusCase] { all.filter { $0.definition.expect.reproducible } }

    /// Whether a RUN of the case mounts a cache, whose state the step cache ignores by design.
    var usesCacheMount: Bool {
        let dockerfile = FileManager.default.contents(atPath: directory + "/Dockerfile") ?? Data()
        return String(decoding: dockerfile, as: UTF8.self).contains("type=cache")
    }
    static var nondeterministic: [CorpusCase] { all.filter { !$0.definition.expect.reproducible } }

    /// The `reprise build` arguments this case asks for.
    func buildArguments(journal: String, output: String) -> [String] {
        ["build", "--journal", journal, "--progress", "plain", "--output", "type=oci,dest=\(output),tar=false"]
            + flags(context: directory)
    }

    /// The context and the flags (args, target, contexts, secrets) for building this case from
    /// `context`, which may be a copy of the case's directory.
    func flags(context directory: String) -> [String] {
        var arguments = [directory]
        if let epoch = definition.build.sourceDateEpoch { arguments += ["--build-arg", "SOURCE_DATE_EPOCH=\(epoch)"] }
        for (key, value) in (definition.build.args ?? [:]).sorted(by: { $0.key < $1.key }) {
            arguments += ["--build-arg", "\(key)=\(value)"]
        }
        if let target = definition.build.target { arguments += ["--target", target] }
        if let platform = definition.build.platform { arguments += ["--platform", platform] }
        for (name, path) in (definition.build.buildContexts ?? [:]).sorted(by: { $0.key < $1.key }) {
            let value = Self.substituteGeneratedImages(path)
            let resolved = value.hasPrefix("/") || value.contains("://") ? value : directory + "/" + value
            arguments += ["--build-context", "\(name)=\(resolved)"]
        }
        for (id, path) in (definition.build.secrets ?? [:]).sorted(by: { $0.key < $1.key }) {
            arguments += ["--secret", "id=\(id),src=\(path.hasPrefix("/") ? path : directory + "/" + path)"]
        }
        for id in (definition.build.secretEnv ?? [:]).keys.sorted() {
            arguments += ["--secret", "id=\(id),env=\(Self.secretVariable(id))"]
        }
        return arguments
    }

    /// Just the `--secret` flags, reading files from the case's own directory (a replay must be
    /// given the secrets again, after the build's context copy is gone).
    var secretFlags: [String] {
        var arguments: [String] = []
        for (id, path) in (definition.build.secrets ?? [:]).sorted(by: { $0.key < $1.key }) {
            arguments += ["--secret", "id=\(id),src=\(path.hasPrefix("/") ? path : directory + "/" + path)"]
        }
        for id in (definition.build.secretEnv ?? [:]).keys.sorted() {
            arguments += ["--secret", "id=\(id),env=\(Self.secretVariable(id))"]
        }
        return arguments
    }

    /// The environment the build needs: the values of `secretEnv`.
    var buildEnvironment: [String: String] {
        (definition.build.secretEnv ?? [:]).reduce(into: [:]) { $0[Self.secretVariable($1.key)] = $1.value }
    }

    /// Every secret value the case hands over, which must appear nowhere in what the build wrote.
    var secretValues: [String] {
        let files = (definition.build.secrets ?? [:]).values.compactMap { path in
            FileManager.default.contents(atPath: path.hasPrefix("/") ? path : directory + "/" + path)
                .map { String(decoding: $0, as: UTF8.self) }
        }
        return files + Array((definition.build.secretEnv ?? [:]).values)
    }

    static func secretVariable(_ id: String) -> String {
        "REPRISE_CASE_SECRET_" + id.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// `$BUSYBOX_LAYOUT` and `$COMPILER_LAYOUT` in a context value: layouts the repository's
    /// scripts make (once per test process).
    static func substituteGeneratedImages(_ value: String) -> String {
        var value = value
        if value.contains("$BUSYBOX_LAYOUT") {
            value = value.replacingOccurrences(of: "$BUSYBOX_LAYOUT", with: (try? CorpusBaseImage.path()) ?? "/missing")
        }
        if value.contains("$BUSYBOX_ARM64_LAYOUT") {
            value = value.replacingOccurrences(of: "$BUSYBOX_ARM64_LAYOUT", with: (try? CorpusArm64Image.path()) ?? "/missing")
        }
        if value.contains("$COMPILER_LAYOUT") {
            value = value.replacingOccurrences(of: "$COMPILER_LAYOUT", with: (try? CorpusCompilerImage.path()) ?? "/missing")
        }
        return value
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
