// Placeholder until the presenters land.
enum DiffPresentersPlaceholder {}
