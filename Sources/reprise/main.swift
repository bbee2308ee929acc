import RepriseCLI

await RepriseCommand.execute()
