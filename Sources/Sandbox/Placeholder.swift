// Placeholder until the Sandbox module lands.
enum SandboxModulePlaceholder {}
