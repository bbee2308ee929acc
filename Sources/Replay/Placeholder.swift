// Placeholder until replay lands.
enum ReplayPlaceholder {}
