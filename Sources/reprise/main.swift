import RepriseCLI

await RepriseCommand.main()
