/// A stable, readable text rendering of parsed instructions, plans and diagnostics, used by
/// the golden tests and handy when debugging (`reprise build --check --dump` could print it).
///
/// Values are printed by walking their stored properties, so the format follows the types:
/// `name=value` pairs, strings quoted with Swift escapes, nil values and empty lists omitted.
public enum DockerfileDump {
    /// Renders a check report: directives, instructions with locations, diagnostics and plan.
    public static func render(_ report: CheckReport) -> String {
        var lines: [String] = []
        let directives = report.document.directives
        var directiveText = "directives: escape=\(Character(Unicode.Scalar(directives.escape)))"
        if let syntax = directives.syntax { directiveText += " syntax=\(quoted(syntax))" }
        if !directives.skippedChecks.isEmpty {
            directiveText += " skip=\(directives.skippedChecks.sorted().joined(separator: ","))"
        }
        if !directives.experimentalChecks.isEmpty {
            directiveText += " experimental=\(directives.experimentalChecks.sorted().joined(separator: ","))"
        }
        if directives.checkWarningsAreErrors { directiveText += " check-error=true" }
        lines.append(directiveText)
        lines.append("instructions:")
        for instruction in report.document.instructions {
            lines.append("  \(position(instruction.location)) \(instruction.writtenKeyword) \(value(instruction.instruction))")
        }
        lines.append("diagnostics:")
        for diagnostic in report.diagnostics {
            lines.append("  \(diagnostic)")
        }
        if let plan = report.plan {
            lines.append("plan: target=\(plan.target) required=\(plan.requiredStages)")
            for arg in plan.globalArgs {
                lines.append("  global ARG \(arg.name)=\(arg.value.map(quoted) ?? "<unset>")")
            }
            for stage in plan.stages {
                lines.append("  stage \(stage.index)\(stage.name.map { " \($0)" } ?? "") base=\(value(stage.base))"
                    + (stage.platform.map { " platform=\(quoted($0))" } ?? "") + " deps=\(stage.dependencies)")
                for instruction in stage.instructions {
                    var line = "    \(position(instruction.source.location)) \(value(instruction.expanded))"
                    if !instruction.references.isEmpty { line += " refs=\(value(instruction.references))" }
                    lines.append(line)
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `L3-5:1` (lines 3 to 5, column 1) or `L3:1`.
    static func position(_ location: SourceLocation) -> String {
        let lines = location.startLine == location.endLine
            ? "\(location.startLine)" : "\(location.startLine)-\(location.endLine)"
        return "L\(lines):\(location.column)"
    }

    /// Renders any value by reflection.
    public static func value(_ subject: Any) -> String {
        switch subject {
        case let text as String: return quoted(text)
        case let number as Int: return String(number)
        case let number as Int64: return String(number)
        case let number as UInt32: return String(number)
        case let flag as Bool: return String(flag)
        default: break
        }
        let mirror = Mirror(reflecting: subject)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return "nil" }
            return value(wrapped)
        case .collection, .set:
            return "[" + mirror.children.map { value($0.value) }.joined(separator: ", ") + "]"
        case .enum:
            let caseName = String(describing: subject).prefix { $0 != "(" }
            guard let payload = mirror.children.first else { return String(caseName) }
            return "\(caseName)(\(value(payload.value)))"
        case .struct, .tuple:
            let fields = mirror.children.compactMap { child -> String? in
                let rendered = value(child.value)
                if rendered == "nil" || rendered == "[]" { return nil }
                return "\(child.label ?? "_")=\(rendered)"
            }
            return "{" + fields.joined(separator: " ") + "}"
        default:
            return String(describing: subject)
        }
    }

    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    output += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}
