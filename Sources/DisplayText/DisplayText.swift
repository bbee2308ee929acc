/// Text from outside (Dockerfiles, file names in layers, build ids and tags from bundles, step
/// output) made safe to show on a terminal.
///
/// A terminal obeys control characters: ESC sequences can rewrite earlier lines, retitle the
/// window, hide text or (on some emulators) answer back into the shell's input; a carriage
/// return or newline can forge a line ("no damage"); bidirectional overrides reorder what is
/// shown ("Trojan source"). Every human-readable output passes outside text through `escaped`,
/// which shows such characters as visible escapes and leaves everything else, including all
/// printable Unicode, untouched. Machine-readable outputs (JSON) escape by their own rules.
public enum DisplayText {
    /// `text` with control characters shown as `\n`, `\r`, `\t`, `\e` or `\xHH` (C0 and DEL),
    /// `\u{HHHH}` (C1 controls, bidirectional controls, line and paragraph separators).
    /// With `keepingLineBreaks`, `\n` and `\t` pass through (logs, multi-line messages), but a
    /// carriage return is still escaped since it overwrites the line it ends.
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLineBreaks: keepingLineBreaks) }) else {
            return text
        }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLineBreaks: keepingLineBreaks) else {
                result.append(scalar)
                continue
            }
            result.append(contentsOf: escape(scalar).unicodeScalars)
        }
        return String(result)
    }

    /// Whether `text` holds anything `escaped` would change (for validators that refuse rather
    /// than show).
    public static func containsControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { needsEscape($0, keepingLineBreaks: false) }
    }

    static func needsEscape(_ scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return !keepingLineBreaks
        case 0x00...0x1F, 0x7F, 0x80...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        case 0x2028, 0x2029: return true  // line and paragraph separators
        default: return false
        }
    }

    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x1B: return "\\e"
        case 0x00...0x1F, 0x7F: return "\\x" + hex(scalar.value, width: 2)
        default: return "\\u{" + hex(scalar.value, width: 4) + "}"
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
