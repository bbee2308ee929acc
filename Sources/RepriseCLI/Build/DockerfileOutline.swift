import Foundation
import Frontend

/// `reprise build --call targets|outline`: the stages of a Dockerfile and the build arguments,
/// secrets and ssh ids of a target, with the descriptions BuildKit reads from the comment lines
/// right above a `FROM … AS NAME` or an `ARG` (a first word that repeats the name is dropped).
struct DockerfileOutline {
    struct Stage {
        var name: String?
        var description: String
    }

    struct Argument {
        var name: String
        var value: String?
        var description: String
    }

    let document: ParsedDockerfile
    let buildArgs: [String: String]
    /// The Dockerfile's bytes: BuildKit's JSON carries them (base64) as `sources`.
    let source: [UInt8]

    init(source: [UInt8], fileName: String, buildArgs: [String: String]) {
        document = ParsedDockerfile(source: source, fileName: fileName)
        self.buildArgs = buildArgs
        self.source = source
    }

    /// The comment lines directly above `line` (1-based), joined.
    func description(above line: Int, name: String?) -> String {
        var comments: [String] = []
        var index = line - 2
        while index >= 0, index < document.sourceLines.count {
            let text = document.sourceLines[index].trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("#") else { break }
            comments.insert(String(text.dropFirst()).trimmingCharacters(in: .whitespaces), at: 0)
            index -= 1
        }
        var text = comments.joined(separator: " ")
        if let name, text.lowercased().hasPrefix(name.lowercased() + " ") { text = String(text.dropFirst(name.count + 1)) }
        // `# syntax=` and other parser directives at the top are not descriptions.
        if index < 0, comments.first?.contains("=") == true, !comments.first!.contains(" ") { return "" }
        return text
    }

    var stages: [Stage] {
        document.instructions.compactMap { located in
            guard case .from(let from) = located.instruction else { return nil }
            return Stage(name: from.stageName,
                         description: description(above: located.location.startLine, name: from.stageName))
        }
    }

    /// buildx's `--call targets` table; the last stage is the default.
    func targetsText() -> String {
        let all = stages
        var rows = [["TARGET", "DESCRIPTION"]]
        for (index, stage) in all.enumerated() {
            let isDefault = index == all.count - 1
            var name = stage.name ?? ""
            if isDefault { name = name.isEmpty ? "(default)" : name + " (default)" }
            if name.isEmpty { continue }
            rows.append([name, stage.description])
        }
        return Formatting.table(rows) + "\n"
    }

    /// buildx's `--call outline`: the target, its build arguments (global ones included),
    /// secrets and ssh ids that its stage uses.
    func outlineText(target: String?) throws -> String {
        let outline = try outlineJSON(target: target)
        var text = ""
        if let name = outline.name { text += "TARGET:      \(name)\n" }
        if let description = outline.description { text += "DESCRIPTION: \(description)\n" }
        if let args = outline.args {
            if !text.isEmpty { text += "\n" }
            text += Formatting.table([["BUILD ARG", "VALUE", "DESCRIPTION"]]
                + args.map { [$0.name, $0.value ?? "", $0.description ?? ""] }) + "\n"
        }
        if let secrets = outline.secrets {
            text += "\n" + Formatting.table([["SECRET", "REQUIRED"]] + secrets.map { [$0.name, $0.required == true ? "true" : ""] }) + "\n"
        }
        if let ssh = outline.ssh {
            text += "\n" + Formatting.table([["SSH"]] + ssh.map { [$0.name] }) + "\n"
        }
        return text
    }

    /// The outline as data: what `outlineText` prints and `format=json` encodes.
    func outlineJSON(target: String?) throws -> OutlineJSON {
        var stageIndex = -1
        var chosen: Int?
        var arguments: [ArgumentJSON] = []
        var perStage: [[ArgumentJSON]] = []
        var secrets: [[SecretJSON]] = []
        var ssh: [[SSHJSON]] = []
        var names: [String?] = []
        var descriptions: [String] = []
        /// What each stage reads from (its base, `COPY --from`, `--mount from=`), as written.
        var reads: [[String]] = []
        for located in document.instructions {
            let location = LocationJSON(located.location.startLine, located.location.endLine)
            switch located.instruction {
            case .from(let from):
                stageIndex += 1
                perStage.append([])
                secrets.append([])
                ssh.append([])
                reads.append([from.image.lowercased()])
                names.append(from.stageName)
                descriptions.append(description(above: located.location.startLine, name: from.stageName))
                if let target, from.stageName == target.lowercased() { chosen = stageIndex }
            case .arg(let arg):
                for declaration in arg.declarations {
                    let text = description(above: located.location.startLine, name: declaration.name)
                    let argument = ArgumentJSON(name: declaration.name, description: text.isEmpty ? nil : text,
                                                value: buildArgs[declaration.name] ?? declaration.defaultValue,
                                                location: location)
                    if stageIndex < 0 { arguments.append(argument) } else { perStage[stageIndex].append(argument) }
                }
            case .copy(let copy):
                if stageIndex >= 0, let from = copy.from { reads[stageIndex].append(from.lowercased()) }
            case .run(let run):
                guard stageIndex >= 0 else { continue }
                for mount in run.mounts {
                    if let from = mount.from { reads[stageIndex].append(from.lowercased()) }
                    if case .secret(let secret) = mount {
                        secrets[stageIndex].append(SecretJSON(name: secret.id, required: secret.required ? true : nil,
                                                              location: location))
                    }
                    if case .ssh(let socket) = mount {
                        ssh[stageIndex].append(SSHJSON(name: socket.id, required: socket.required ? true : nil,
                                                       location: location))
                    }
                }
            default:
                continue
            }
        }
        guard stageIndex >= 0 else { throw OutlineError("the Dockerfile has no FROM") }
        if let target, chosen == nil { throw OutlineError("target stage \"\(target)\" could not be found") }
        let index = chosen ?? stageIndex
        // A stage's ARG that repeats a global one names the same argument: listed once, with
        // the description it has where it is declared first.
        var listed: [ArgumentJSON] = []
        for argument in arguments + perStage[index] {
            if let at = listed.firstIndex(where: { $0.name == argument.name }) {
                if listed[at].description == nil { listed[at].description = argument.description }
                if listed[at].value == nil { listed[at].value = argument.value }
            } else {
                listed.append(argument)
            }
        }
        // As BuildKit: the secrets and ssh ids of every stage the target reads from count too
        // (each once), in the order of their lines.
        var reachable: [Int] = []
        var pending = [index]
        while let stage = pending.popLast() {
            guard !reachable.contains(stage) else { continue }
            reachable.append(stage)
            for name in reads[stage] {
                if let number = Int(name), number < stage { pending.append(number) }
                if let named = names[..<stage].lastIndex(where: { $0 == name }) { pending.append(named) }
            }
        }
        var neededSecrets: [SecretJSON] = []
        var neededSSH: [SSHJSON] = []
        for stage in reachable {
            for secret in secrets[stage] where !neededSecrets.contains(where: { $0.name == secret.name }) { neededSecrets.append(secret) }
            for socket in ssh[stage] where !neededSSH.contains(where: { $0.name == socket.name }) { neededSSH.append(socket) }
        }
        neededSecrets.sort { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
        neededSSH.sort { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
        return OutlineJSON(name: names[index], description: descriptions[index].isEmpty ? nil : descriptions[index],
                           args: listed.isEmpty ? nil : listed, secrets: neededSecrets.isEmpty ? nil : neededSecrets,
                           ssh: neededSSH.isEmpty ? nil : neededSSH, sources: [Data(source).base64EncodedString()])
    }
}

/// `--call …,format=json`, in the shapes BuildKit's outline and targets subrequests return
/// (`outline.Outline`, `targets.List` of BuildKit's frontend/subrequests, checked against its
/// source): lower-case keys, empty fields left out, locations as `pb.Location` (1-based lines),
/// the Dockerfile itself base64-encoded in `sources`.
extension DockerfileOutline {
    /// `{"ranges":[{"start":{"line":4},"end":{"line":4}}]}`.
    struct LocationJSON: Encodable {
        struct Position: Encodable { var line: Int }
        struct Range: Encodable { var start: Position; var end: Position }
        var ranges: [Range]
        var line: Int { ranges.first?.start.line ?? 0 }

        init(_ start: Int, _ end: Int) {
            ranges = [Range(start: Position(line: start), end: Position(line: max(start, end)))]
        }
    }

    struct TargetJSON: Encodable {
        var name: String?
        var `default`: Bool?
        var description: String?
        var base: String?
        var platform: String?
        var location: LocationJSON?
    }

    struct TargetsJSON: Encodable {
        var targets: [TargetJSON]
        var sources: [String]
    }

    struct ArgumentJSON: Encodable {
        var name: String
        var description: String?
        var value: String?
        var location: LocationJSON?
    }

    struct SecretJSON: Encodable {
        var name: String
        var required: Bool?
        var location: LocationJSON?
    }

    struct SSHJSON: Encodable {
        var name: String
        var required: Bool?
        var location: LocationJSON?
    }

    struct OutlineJSON: Encodable {
        var name: String?
        var description: String?
        var args: [ArgumentJSON]?
        var secrets: [SecretJSON]?
        var ssh: [SSHJSON]?
        var sources: [String]?
    }

    /// Every stage, named or not (BuildKit lists them all; the last is the default).
    func targetsJSON() -> TargetsJSON {
        let froms = document.instructions.compactMap { located -> (FromInstruction, Frontend.SourceLocation)? in
            guard case .from(let from) = located.instruction else { return nil }
            return (from, located.location)
        }
        let targets = froms.enumerated().map { index, pair in
            let (from, location) = pair
            let text = description(above: location.startLine, name: from.stageName)
            return TargetJSON(name: from.stageName, default: index == froms.count - 1 ? true : nil,
                              description: text.isEmpty ? nil : text, base: from.image, platform: from.platform,
                              location: LocationJSON(location.startLine, location.endLine))
        }
        return TargetsJSON(targets: targets, sources: [Data(source).base64EncodedString()])
    }
}

struct OutlineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
