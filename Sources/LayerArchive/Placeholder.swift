// Placeholder until the LayerArchive module lands.
enum LayerArchiveModulePlaceholder {}
