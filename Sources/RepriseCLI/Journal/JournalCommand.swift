import ArgumentParser

/// `reprise journal …`: look into and look after the journal.
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "List, show, check and clean the build journal.", discussion: CommandHelp.discussion("journal"),
        subcommands: [JournalListCommand.self, JournalShowCommand.self, JournalFsckCommand.self,
                      JournalGCCommand.self, JournalReindexCommand.self, JournalIngestCommand.self,
                      JournalExportCommand.self, JournalImportCommand.self, JournalFetchesCommand.self,
                      JournalPushCommand.self, JournalPullCommand.self, JournalRemoveCommand.self]
    )
}
