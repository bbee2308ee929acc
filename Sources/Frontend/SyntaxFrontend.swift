/// Which `# syntax=` (or `BUILDKIT_SYNTAX`) values Reprise can honour.
///
/// BuildKit hands the whole build to the image a `# syntax=` line names. Reprise has one
/// frontend, its own implementation of the Dockerfile one, so a file naming that frontend (at
/// any version, tag or digest) is built, and a file naming anything else is refused: building
/// it with our parser would silently give a different result from the one its author meant.
public enum SyntaxFrontend {
    /// Repositories (on Docker Hub) that publish the Dockerfile frontend: the releases
    /// (`1`, `1.7`, `1.7-labs`, `experimental`, ...) and BuildKit's upstream builds.
    /// `dockerfile:experimental`, seen in BuildKit's parser tests, means
    /// `docker.io/library/dockerfile`, an image that does not exist: BuildKit fails to pull it.
    static let dockerfileRepositories: Set<String> = ["docker/dockerfile", "docker/dockerfile-upstream"]

    /// Registry host names that mean Docker Hub.
    static let dockerHubHosts: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io"]

    /// Whether `value` (a `# syntax=` value: an image reference, optionally followed by
    /// frontend arguments after a space) names the Dockerfile frontend.
    public static func isDockerfileFrontend(_ value: String) -> Bool {
        guard let reference = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else {
            return false
        }
        var name = Substring(reference)
        // Drop the digest, then the tag (a `:` after the last `/`).
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = name[..<colon] }
        var components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { return false }
        // A first component with a dot or colon, or `localhost`, is a registry host.
        let first = components[0]
        if components.count > 1, first.contains(".") || first.contains(":") || first == "localhost" {
            guard dockerHubHosts.contains(first.lowercased()) else { return false }
            components.removeFirst()
        }
        if components.count == 1 { components.insert("library", at: 0) }
        return dockerfileRepositories.contains(components.joined(separator: "/"))
    }

    static let refusalPrefix = "unsupported frontend "

    /// The message for a frontend Reprise cannot run.
    static func refusal(_ value: String, source: String) -> String {
        refusalPrefix + "\"\(value)\" \(source): Reprise builds only with its own Dockerfile frontend (docker/dockerfile at any version); remove the directive or name docker/dockerfile:1"
    }

    /// Whether `diagnostic` is the refusal of a `# syntax=` / `BUILDKIT_SYNTAX` frontend (the
    /// file may otherwise parse).
    public static func isRefusal(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.severity == .error && diagnostic.rule == nil && diagnostic.message.hasPrefix(refusalPrefix)
    }
}
