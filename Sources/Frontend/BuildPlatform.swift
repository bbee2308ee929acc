/// An OCI platform (`os/architecture[/variant]`) as used by `--platform` and the
/// `TARGET*`/`BUILD*` predefined arguments.
public struct BuildPlatform: Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `linux/arm64/v8`; nil when there are fewer than two or more than three parts.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(os: parts[0].lowercased(), architecture: parts[1].lowercased(),
                  variant: parts.count == 3 ? parts[2].lowercased() : nil)
    }

    /// The platform of the machine running Reprise.
    public static var host: BuildPlatform {
        #if arch(arm64)
        return BuildPlatform(os: "linux", architecture: "arm64")
        #elseif arch(arm)
        return BuildPlatform(os: "linux", architecture: "arm", variant: "v7")
        #else
        return BuildPlatform(os: "linux", architecture: "amd64")
        #endif
    }

    public var description: String {
        variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)"
    }
}

/// BuildKit's predefined build arguments.
public enum PredefinedArgs {
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

    /// Proxy arguments: may be passed with `--build-arg` without an `ARG`, and are then visible
    /// to `RUN` (not to the frontend's own expansion) and left out of the image history.
    public static let proxyArgs: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ]

    /// `BUILDKIT_*` and other arguments that configure the builder rather than the build.
    public static let builderArgs: Set<String> = [
        "BUILDKIT_CACHE_MOUNT_NS", "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_INLINE_CACHE",
        "BUILDKIT_MULTI_PLATFORM", "BUILDKIT_SANDBOX_HOSTNAME", "BUILDKIT_SYNTAX", "SOURCE_DATE_EPOCH",
    ]

    /// The `PATH` BuildKit gives a Linux stage whose base defines none (e.g. `scratch`).
    public static let defaultLinuxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Every predefined name.
    public static var allNames: Set<String> {
        Set(platformArgs(build: .host, target: .host).keys).union(proxyArgs).union(builderArgs)
    }
}

/// What a check or a plan is computed for: `--build-arg`, `--target`, `--platform`.
public struct BuildOptions: Sendable, Hashable {
    public var buildArgs: [String: String]
    /// Stage name (or index) to build; nil means the last stage.
    public var target: String?
    public var targetPlatform: BuildPlatform
    public var buildPlatform: BuildPlatform
    /// Environment (`Config.Env`) of external base images, by the name written after
    /// expansion. The engine passes it once it has resolved the images, so that words like
    /// `$PATH` expand as in BuildKit; without it such variables are unknown (and the
    /// UndefinedVar check stays quiet for those stages).
    public var imageEnvironment: [String: [String: String]]

    public init(buildArgs: [String: String] = [:], target: String? = nil,
                targetPlatform: BuildPlatform = .host, buildPlatform: BuildPlatform = .host,
                imageEnvironment: [String: [String: String]] = [:]) {
        self.buildArgs = buildArgs
        self.target = target
        self.targetPlatform = targetPlatform
        self.buildPlatform = buildPlatform
        self.imageEnvironment = imageEnvironment
    }
}
