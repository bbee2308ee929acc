/// `COPY` and `ADD`.
extension InstructionParser {
    func parseCopy(_ context: ArgumentContext) throws(InstructionFailure) -> CopyInstruction {
        let flags = try context.flags(["from": .string, "chown": .string, "chmod": .string, "link": .bool,
                                       "parents": .bool, "exclude": .strings])
        let (sources, destination) = try sourcesAndDestination(context, keyword: "COPY")
        for case .path(let path) in sources where path.hasPrefix("http://") || path.hasPrefix("https://") {
            throw InstructionFailure("source can't be a URL for COPY; use ADD to download \(path)",
                                     at: context.arguments.offset)
        }
        try validateChmod(flags)
        return CopyInstruction(
            sources: sources, destination: destination, from: nonEmpty(flags.string("from")),
            chown: nonEmpty(flags.string("chown")), chmod: nonEmpty(flags.string("chmod")),
            link: flags.bool("link"), parents: flags.bool("parents"), excludes: flags.strings("exclude"))
    }

    func parseAdd(_ context: ArgumentContext) throws(InstructionFailure) -> AddInstruction {
        let flags = try context.flags(["chown": .string, "chmod": .string, "checksum": .string,
                                       "keep-git-dir": .bool, "link": .bool, "exclude": .strings,
                                       "unpack": .bool])
        let (sources, destination) = try sourcesAndDestination(context, keyword: "ADD")
        try validateChmod(flags)
        return AddInstruction(
            sources: sources, destination: destination, chown: nonEmpty(flags.string("chown")),
            chmod: nonEmpty(flags.string("chmod")), checksum: nonEmpty(flags.string("checksum")),
            keepGitDir: flags.bool("keep-git-dir"), link: flags.bool("link"),
            unpack: flags.optionalBool("unpack"), excludes: flags.strings("exclude"))
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// A `--chmod` without variables is checked here; one with variables once the planner
    /// has expanded it.
    private func validateChmod(_ flags: FlagSet) throws(InstructionFailure) {
        guard let chmod = flags.string("chmod"), !chmod.isEmpty, !chmod.contains("$") else { return }
        do throws(FileModeError) {
            _ = try FileModeExpression.parse(chmod)
        } catch {
            throw InstructionFailure(error.description, at: flags.offsets["chmod"])
        }
    }

    /// Splits the arguments into sources and destination; `<<NAME` sources become the heredoc
    /// read after the line.
    private func sourcesAndDestination(_ context: ArgumentContext, keyword: String)
        throws(InstructionFailure) -> ([CopySource], String)
    {
        let (words, _) = try context.wordList()
        guard words.count >= 2 else {
            throw InstructionFailure(
                "\(keyword) requires at least two arguments, but only \(words.count == 1 ? "one was" : "none were") provided. Destination could not be determined",
                at: context.arguments.offset)
        }
        let destination = words[words.count - 1]
        if case .some(.some) = try? HeredocDetector.parse(destination.text) {
            throw InstructionFailure("\(keyword) cannot accept a heredoc as a destination", at: destination.offset)
        }
        var sources: [CopySource] = []
        for word in words.dropLast() {
            let parsed: (String, Bool, Bool, Int)?
            do throws(ExpansionError) {
                parsed = try HeredocDetector.parse(word.text)
            } catch {
                throw InstructionFailure(error.message, at: word.offset)
            }
            guard let (name, expands, chomp, fd) = parsed else {
                sources.append(.path(word.text))
                continue
            }
            let body = context.raw.heredocs.first { $0.name == name }
            sources.append(.heredoc(body ?? Heredoc(
                name: name, expands: expands, stripsLeadingTabs: chomp, fileDescriptor: fd, rawContent: "",
                firstLine: context.raw.location.endLine, delimiterLine: context.raw.location.endLine)))
        }
        return (sources, destination.text)
    }
}
