import DisplayText
import Testing

/// Issue 11 #12: what reaches a terminal from outside shows its control characters, never obeys them.
@Suite struct DisplayTextTests {
    @Test func controlCharactersAreShownEscaped() {
        #expect(DisplayText.escaped("a\u{1B}]0;pwned\u{07}b") == "a\\e]0;pwned\\x07b")
        #expect(DisplayText.escaped("ok\rno damage\n") == "ok\\rno damage\\n")
        #expect(DisplayText.escaped("tab\there\u{7F}") == "tab\\there\\x7f")
        #expect(DisplayText.escaped("c1 \u{9B}31m") == "c1 \\u{009b}31m")
        #expect(DisplayText.escaped("trojan \u{202E}txt.exe") == "trojan \\u{202e}txt.exe")
        #expect(DisplayText.escaped("nul\u{0}") == "nul\\x00")
    }

    @Test func printableTextIsUntouched() {
        for text in ["plain", "ünïcödé/路径/файл", "emoji 🐳 ok", "back\\slash", ""] {
            #expect(DisplayText.escaped(text) == text)
            #expect(!DisplayText.containsControlCharacters(text))
        }
    }

    @Test func logsKeepLinesAndTabsButNotCarriageReturns() {
        #expect(DisplayText.escaped("one\n\ttwo\r\u{1B}[2J", keepingLineBreaks: true) == "one\n\ttwo\\r\\e[2J")
    }

    /// Every scalar below U+00A0 either passes as itself (printable ASCII) or becomes an escape
    /// holding no control character: nothing a terminal obeys survives.
    @Test func noControlCharacterSurvivesAnyScalar() {
        for value in UInt32(0)..<0x3000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let shown = DisplayText.escaped("x" + String(Character(scalar)) + "y")
            #expect(!DisplayText.containsControlCharacters(shown), "U+\(String(value, radix: 16))")
        }
    }
}
