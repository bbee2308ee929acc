import ArgumentParser

/// `reprise image …`: the local image store (images held in the journal under names).
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Import, pull, push, list, name and export images held in the journal.",
        discussion: CommandHelp.discussion("image"),
        subcommands: [ImageImportCommand.self, ImageListCommand.self, ImageTagCommand.self,
                      ImageRemoveCommand.self, ImageExportCommand.self,
                      ImagePullCommand.self, ImagePushCommand.self]
    )
}
