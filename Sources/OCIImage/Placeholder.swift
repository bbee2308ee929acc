// Placeholder until the OCIImage module lands.
enum OCIImageModulePlaceholder {}
