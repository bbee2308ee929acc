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

    init(source: [UInt8], fileName: String, buildArgs: [String: String]) {
        document = ParsedDockerfile(source: source, fileName: fileName)
        self.buildArgs = buildArgs
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
        var stageIndex = -1
        var chosen: Int?
        var arguments: [Argument] = []
        var perStage: [[Argument]] = []
        var secrets: [[(String, Bool)]] = []
        var ssh: [[String]] = []
        var names: [String?] = []
        var descriptions: [String] = []
        for located in document.instructions {
            switch located.instruction {
            case .from(let from):
                stageIndex += 1
                perStage.append([])
                secrets.append([])
                ssh.append([])
                names.append(from.stageName)
                descriptions.append(description(above: located.location.startLine, name: from.stageName))
                if let target, from.stageName == target.lowercased() { chosen = stageIndex }
            case .arg(let arg):
                for declaration in arg.declarations {
                    let argument = Argument(
                        name: declaration.name, value: buildArgs[declaration.name] ?? declaration.defaultValue,
                        description: description(above: located.location.startLine, name: declaration.name))
                    if stageIndex < 0 { arguments.append(argument) } else { perStage[stageIndex].append(argument) }
                }
            case .run(let run):
                guard stageIndex >= 0 else { continue }
                for mount in run.mounts {
                    if case .secret(let secret) = mount { secrets[stageIndex].append((secret.id, secret.required)) }
                    if case .ssh(let socket) = mount { ssh[stageIndex].append(socket.id) }
                }
            default:
                continue
            }
        }
        guard stageIndex >= 0 else { throw OutlineError("the Dockerfile has no FROM") }
        if let target, chosen == nil { throw OutlineError("target stage \"\(target)\" could not be found") }
        let index = chosen ?? stageIndex
        var text = ""
        if let name = names[index] { text += "TARGET:      \(name)\n" }
        if !descriptions[index].isEmpty { text += "DESCRIPTION: \(descriptions[index])\n" }
        // Global ARGs count only when the stage declares them again (or uses them in FROM);
        // as buildx, list the global ones and the stage's own.
        let listed = arguments + perStage[index]
        if !listed.isEmpty {
            if !text.isEmpty { text += "\n" }
            text += Formatting.table([["BUILD ARG", "VALUE", "DESCRIPTION"]]
                + listed.map { [$0.name, $0.value ?? "", $0.description] }) + "\n"
        }
        if !secrets[index].isEmpty {
            text += "\n" + Formatting.table([["SECRET", "REQUIRED"]]
                + secrets[index].map { [$0.0, $0.1 ? "true" : ""] }) + "\n"
        }
        if !ssh[index].isEmpty {
            text += "\n" + Formatting.table([["SSH"]] + ssh[index].map { [$0] }) + "\n"
        }
        return text
    }
}

struct OutlineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
