/// Build checks that need more than the Dockerfile: the `.dockerignore` of the main context
/// (`CopyIgnoredFile`) and the platform a base image really has (`InvalidBaseImagePlatform`).
/// Both stay quiet when the caller did not supply that information, as BuildKit's do.
extension PlannerRun {
    /// `CopyIgnoredFile`: a `COPY`/`ADD` source from the main context that `.dockerignore`
    /// leaves out, so the build would fail (or copy less than the author thinks).
    ///
    /// Follows BuildKit's `validateCopySourcePath`: off when there is no ignore file or when
    /// it has `!` exceptions (too hard to decide statically); the context root (`.`, `/`) is
    /// reported only when a pattern excludes every entry (`*`, `**`, `**/*`); a source is
    /// reported when it or one of its parent directories matches. Unlike BuildKit, a leading
    /// `/` is dropped first (`COPY /app .` reads `app` from the context).
    mutating func checkIgnoredSources(_ sources: [CopySource], keyword: String, raw: RawInstruction) {
        guard let ignore = planner.options.dockerIgnore, !ignore.patterns.isEmpty,
              !ignore.patterns.contains(where: \.isException) else { return }
        let verb = keyword == "ADD" ? "Add" : "Copy"
        for case .path(let source) in sources where !Self.isRemote(source) {
            var cleaned = DockerIgnore.clean(source)
            let isRoot = cleaned == "." || cleaned == "/"
            if isRoot {
                let excludesEverything = ignore.patterns.contains { ["*", "**", "**/*"].contains($0.text) }
                guard excludesEverything else { continue }
            } else {
                while cleaned.hasPrefix("/") { cleaned.removeFirst() }
                guard ignore.excludes(cleaned) else { continue }
            }
            warn(.copyIgnoredFile, "Attempting to \(verb) file \"\(DockerIgnore.clean(source))\" that is excluded by .dockerignore",
                 at: raw.location)
        }
    }

    /// URLs and git sources of `ADD` do not come from the context.
    private static func isRemote(_ source: String) -> Bool {
        source.contains("://") || source.hasPrefix("git@")
    }

    /// `InvalidBaseImagePlatform`: the base image's own platform differs (OS or architecture)
    /// from the one this stage asked for (`--platform`, else the target platform).
    ///
    /// BuildKit learns the image's platform by pulling it; a frontend without image metadata
    /// cannot, so this runs only for images listed in ``BuildOptions/imagePlatforms``. Stage
    /// and `scratch` bases are never checked (BuildKit checks only pulled images).
    mutating func checkBaseImagePlatform(_ stage: PlannedStage) {
        guard case .external(let image) = stage.base,
              let actual = planner.options.imagePlatforms[image] else { return }
        let expected = stage.effectivePlatform.normalized
        let found = actual.normalized
        guard expected.os != found.os || expected.architecture != found.architecture else { return }
        warn(.invalidBaseImagePlatform,
             "Base image \(image) was pulled with platform \"\(found)\", expected \"\(expected)\" for current build",
             at: stage.from.location)
    }
}

extension BuildPlatform {
    /// The platform with the aliases containerd's `platforms.Normalize` folds (`x86_64`,
    /// `aarch64`, `arm64/v8`, `armhf`, `i386`), so that equal platforms compare equal.
    public var normalized: BuildPlatform {
        var result = BuildPlatform(os: os.lowercased(), architecture: architecture.lowercased(),
                                   variant: variant?.lowercased())
        switch result.architecture {
        case "x86_64", "x86-64":
            result.architecture = "amd64"
            result.variant = nil
        case "aarch64", "arm64":
            result.architecture = "arm64"
            if result.variant == "v8" || result.variant == "8" { result.variant = nil }
        case "armhf":
            result.architecture = "arm"
            result.variant = "v7"
        case "armel":
            result.architecture = "arm"
            result.variant = "v6"
        case "i386":
            result.architecture = "386"
        default:
            break
        }
        return result
    }
}
