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

/// What a check or a plan is computed for: `--build-arg`, `--target`, `--platform`.
public struct BuildOptions: Sendable, Hashable {
    public var buildArgs: [String: String]
    /// Stage name (or index) to build; nil means the last stage.
    public var target: String?
    public var targetPlatform: BuildPlatform
    public var buildPlatform: BuildPlatform
    /// Environment (`Config.Env`) of external base images, by the name written after
    /// expansion. The engine passes it once it has resolved the images, so that words like
    /// `$GOPATH` expand as in BuildKit; without it only `PATH` is known for an image base
    /// (BuildKit's default), and other variables the image sets warn `UndefinedVar`.
    public var imageEnvironment: [String: [String: String]]
    /// The platform each external base image actually has (its config's `os`/`architecture`),
    /// by the name written after expansion. With it the `InvalidBaseImagePlatform` check runs
    /// as in BuildKit (which learns it by pulling); without it that check cannot decide.
    public var imagePlatforms: [String: BuildPlatform]
    /// The `.dockerignore` of the main context, for the `CopyIgnoredFile` check; nil when the
    /// context has none (the check is then off, as in BuildKit).
    public var dockerIgnore: DockerIgnore?

    public init(buildArgs: [String: String] = [:], target: String? = nil,
                targetPlatform: BuildPlatform = .host, buildPlatform: BuildPlatform = .host,
                imageEnvironment: [String: [String: String]] = [:],
                imagePlatforms: [String: BuildPlatform] = [:], dockerIgnore: DockerIgnore? = nil) {
        self.buildArgs = buildArgs
        self.target = target
        self.targetPlatform = targetPlatform
        self.buildPlatform = buildPlatform
        self.imageEnvironment = imageEnvironment
        self.imagePlatforms = imagePlatforms
        self.dockerIgnore = dockerIgnore
    }
}
