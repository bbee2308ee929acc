// Placeholder until the ContentStore module lands.
enum ContentStoreModulePlaceholder {}
