// Placeholder until the BuildJournal module lands.
enum BuildJournalModulePlaceholder {}
