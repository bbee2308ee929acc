import ArgumentParser
import Registry

/// How commands that talk to registries reach them: `--insecure-registry` (plain HTTP, as buildx's
/// `registry.insecure`; loopback registries always may), `--registry-ca` (a CA trusted beside the
/// system's), `--registry-config` (the Docker config directory with `config.json`).
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "A registry that may be reached over plain HTTP when HTTPS fails (repeatable).", valueName: "host:port"))
    var insecureRegistry: [String] = []
    @Option(name: .customLong("registry-ca"), help: ArgumentHelp(
        "A PEM file of a certificate authority to trust for registries, besides the system's (repeatable).",
        valueName: "file"))
    var registryCA: [String] = []
    @Option(name: .customLong("registry-config"), help: ArgumentHelp(
        "The Docker config directory holding config.json with registry credentials "
            + "(default: $DOCKER_CONFIG, else ~/.docker).", valueName: "dir"))
    var registryConfig: String?

    var configuration: RegistryConfiguration {
        RegistryConfiguration(insecureHosts: Set(insecureRegistry), additionalCertificateAuthorities: registryCA,
                              dockerConfigDirectory: registryConfig)
    }
}
