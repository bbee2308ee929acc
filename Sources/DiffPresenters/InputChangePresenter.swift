import DifferenceModel
import DisplayText
import Foundation

/// Shows a list of ``InputChange``s: one line each, grouped by kind, with the content diff
/// indented beneath; or as JSON (an array of the model's values).
public enum InputChangePresenter {
    public static func text(_ changes: [InputChange], maxLines: Int = 40) -> String {
        guard !changes.isEmpty else { return "The two builds' recorded inputs are the same.\n" }
        var out = "\(changes.count) input change\(changes.count == 1 ? "" : "s"):\n"
        for change in changes.sorted(by: { $0.kind < $1.kind }) {
            out += "  " + DisplayText.escaped(line(change)) + "\n"
            guard let detail = change.detail else { continue }
            for detailLine in detail.lines.prefix(maxLines) {
                let marker = switch detailLine.kind {
                case .added: "+"
                case .removed: "-"
                case .context: " "
                case .header: ""
                }
                out += "      " + DisplayText.escaped(marker + detailLine.text) + "\n"
            }
            let omitted = detail.omittedLines + max(0, detail.lines.count - maxLines)
            if omitted > 0 { out += "      … \(omitted) more lines\n" }
        }
        return out
    }

    /// `context-file context:src/a.txt changed: file 644 … → file 644 …`.
    public static func line(_ change: InputChange) -> String {
        var text = change.kind.rawValue + " " + (change.scope.map { $0 + ":" } ?? "") + change.name + " " + change.status.rawValue
        if change.kind != .dockerfile, change.a != nil || change.b != nil {
            text += ": " + (change.a ?? "unset") + " → " + (change.b ?? "unset")
        }
        if !change.applicable { text += " (values are not in the journal)" }
        return text
    }

    public static func json(_ changes: [InputChange]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(changes)
    }
}
