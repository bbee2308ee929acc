/// Reading heredoc bodies after an instruction line.
extension DockerfileParser {
    /// Whether the instruction's arguments can open heredocs: `RUN`, `COPY` and `ADD` in shell
    /// form, directly or as an `ONBUILD` trigger.
    func mayOpenHeredocs(_ split: CommandLineSplitter.Split, logical: [UInt8]) -> Bool {
        var keyword = split.keyword.text.lowercased()
        var arguments = split.arguments
        if keyword == "onbuild" {
            let trigger = CommandLineSplitter.split(logical, from: split.arguments.offset)
            keyword = trigger.keyword.text.lowercased()
            arguments = trigger.arguments
        }
        guard Self.heredocKeywords.contains(keyword), arguments.text.contains("<<") else { return false }
        if case .strings = JSONStringArray.parse(arguments.text) { return false }
        return true
    }

    /// Reads the body of every heredoc the line opens; an unterminated one is an error that
    /// consumes the rest of the file, as in BuildKit.
    func readHeredocs(for instruction: inout RawInstruction, lines: [PhysicalLine], cursor: inout Int,
                      diagnostics: inout [Diagnostic]) {
        let found: [(name: String, expands: Bool, chomp: Bool, fd: Int)]
        do {
            found = try HeredocDetector.heredocs(in: instruction.original)
        } catch {
            diagnostics.append(Diagnostic(severity: .error, message: error.message,
                                          location: instruction.location))
            return
        }
        for heredoc in found {
            let terminator = Array(heredoc.name.utf8)
            var body: [UInt8] = []
            let firstLine = cursor < lines.count ? lines[cursor].number : instruction.location.endLine + 1
            var terminated = false
            while cursor < lines.count {
                let line = lines[cursor]
                cursor += 1
                instruction.location.endLine = line.number
                var candidate = line.content
                if heredoc.chomp { candidate = candidate.drop { $0 == 0x09 } }
                if candidate.elementsEqual(terminator) {
                    terminated = true
                    break
                }
                body.append(contentsOf: line.content)
                body.append(contentsOf: line.ending)
            }
            guard terminated else {
                diagnostics.append(Diagnostic(
                    severity: .error,
                    message: "unterminated heredoc: expected a line '\(heredoc.name)' to close it",
                    location: instruction.location))
                return
            }
            instruction.heredocs.append(Heredoc(
                name: heredoc.name, expands: heredoc.expands, stripsLeadingTabs: heredoc.chomp,
                fileDescriptor: heredoc.fd, rawContent: String(decoding: body, as: UTF8.self),
                firstLine: firstLine, delimiterLine: instruction.location.endLine))
        }
    }
}
