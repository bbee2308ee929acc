// Placeholder until the differ lands.
enum DifferPlaceholder {}
