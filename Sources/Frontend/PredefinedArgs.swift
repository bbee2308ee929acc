/// BuildKit's predefined build arguments: names a build may pass with `--build-arg` without
/// the Dockerfile declaring them, and what each one means to the builder.
///
/// Being predefined does not put a name into the frontend's own expansion scope: as in
/// BuildKit, `ENV X=$HTTP_PROXY` or `COPY bin/$TARGETARCH/ /` inside a stage expand to the
/// empty string (and warn `UndefinedVar`) unless the stage says `ARG HTTP_PROXY` /
/// `ARG TARGETARCH`. `RUN` is different: its command is expanded by the shell at run time,
/// where the proxy variables are set (``proxyEnvironment(buildArgs:)``).
public enum PredefinedArgs {
    /// The platform arguments, in BuildKit's order.
    public static let platformNames = [
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
        "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    ]

    /// Platform arguments: defined automatically in the global scope (usable in `FROM`), and
    /// inside a stage once declared with a bare `ARG NAME`.
    public static func platformArgs(build: BuildPlatform, target: BuildPlatform) -> [String: String] {
        [
            "BUILDPLATFORM": build.description, "BUILDOS": build.os, "BUILDARCH": build.architecture,
            "BUILDVARIANT": build.variant ?? "",
            "TARGETPLATFORM": target.description, "TARGETOS": target.os, "TARGETARCH": target.architecture,
            "TARGETVARIANT": target.variant ?? "",
        ]
    }

    /// The proxy arguments in both spellings, in the order BuildKit sets them for `RUN`.
    public static let proxy = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ]

    /// ``proxy`` as a set.
    public static let proxyArgs = Set(proxy)

    /// `--build-arg BUILDKIT_SANDBOX_HOSTNAME=NAME` sets the hostname `RUN` sees.
    public static let sandboxHostnameArg = "BUILDKIT_SANDBOX_HOSTNAME"
    /// BuildKit's hostname for `RUN` when the build sets none.
    public static let defaultSandboxHostname = "buildkitsandbox"
    /// `--build-arg BUILDKIT_CACHE_MOUNT_NS=NS` namespaces every cache mount id.
    public static let cacheMountNamespaceArg = "BUILDKIT_CACHE_MOUNT_NS"

    /// `BUILDKIT_*` and other arguments that configure the builder rather than the build.
    public static let builderArgs: Set<String> = [
        cacheMountNamespaceArg, "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_INLINE_CACHE",
        "BUILDKIT_MULTI_PLATFORM", sandboxHostnameArg, "BUILDKIT_SYNTAX", "SOURCE_DATE_EPOCH",
        "BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE",
    ]

    /// Arguments BuildKit never reports as undefined variables, even undeclared (its
    /// `nonEnvArgs`): they steer SBOM scanning and are never meant to hold a value in a word.
    static let neverUndefined: Set<String> = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]

    /// The `PATH` BuildKit gives a Linux stage whose base defines none (e.g. `scratch`).
    public static let defaultLinuxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Every predefined name (proxy names in their two usual spellings).
    public static var allNames: Set<String> {
        Set(platformNames).union(proxyArgs).union(builderArgs)
    }

    /// Whether `--build-arg NAME=...` means something without an `ARG NAME` line: a platform,
    /// proxy (any letter case, as BuildKit compares them) or builder argument.
    public static func isPredefined(_ name: String) -> Bool {
        platformNames.contains(name) || builderArgs.contains(name) || isProxy(name)
    }

    /// Whether `name` is a proxy argument; BuildKit compares case-insensitively.
    public static func isProxy(_ name: String) -> Bool {
        proxyArgs.contains(name.uppercased())
    }

    /// The environment BuildKit adds to every `RUN` from proxy build arguments: each kind
    /// set in both spellings (`HTTP_PROXY` and `http_proxy`) to the value passed. When two
    /// spellings of one kind are passed, the one sorting last wins, as in BuildKit (which
    /// walks the sorted names). Empty values add nothing. These never enter the image config
    /// or the history.
    public static func proxyEnvironment(buildArgs: [String: String]) -> [KeyValuePair] {
        var values: [String: String] = [:]
        for name in buildArgs.keys.sorted() where isProxy(name) {
            values[name.uppercased()] = buildArgs[name]
        }
        var environment: [KeyValuePair] = []
        for upper in proxy where upper == upper.uppercased() {
            guard let value = values[upper], !value.isEmpty else { continue }
            environment.append(KeyValuePair(key: upper, value: value))
            environment.append(KeyValuePair(key: upper.lowercased(), value: value))
        }
        return environment
    }

    /// The hostname `RUN` gets: `BUILDKIT_SANDBOX_HOSTNAME` when passed and not empty.
    public static func sandboxHostname(buildArgs: [String: String]) -> String {
        guard let name = buildArgs[sandboxHostnameArg], !name.isEmpty else { return defaultSandboxHostname }
        return name
    }

    /// The cache-mount id namespace from `BUILDKIT_CACHE_MOUNT_NS`, nil when not set.
    public static func cacheMountNamespace(buildArgs: [String: String]) -> String? {
        guard let namespace = buildArgs[cacheMountNamespaceArg], !namespace.isEmpty else { return nil }
        return namespace
    }
}
