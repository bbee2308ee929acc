// Placeholder until the difference model lands.
enum DifferenceModelPlaceholder {}
