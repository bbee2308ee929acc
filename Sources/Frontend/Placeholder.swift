// Placeholder until the Frontend module lands.
enum FrontendModulePlaceholder {}
