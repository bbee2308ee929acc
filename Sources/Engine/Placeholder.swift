// Placeholder until the Engine module lands.
enum EngineModulePlaceholder {}
