import BuildJournal
import Foundation
import Frontend
import OCIImage

/// Which paths of the main context a Dockerfile can read, for tools outside the engine (a
/// commit bisect skips revisions that change nothing a build reads). The same rules the engine
/// snapshots contexts by (``ContextReach``): COPY/ADD sources, bind-mount sources, the whole
/// context for `COPY .` or a base image with ONBUILD triggers.
public struct MainContextReach: Sendable {
    private let reach: ContextReach

    /// The reach of `dockerfile` (its bytes) with these arguments; nil when it does not plan
    /// (then nothing can be said and every path may matter).
    public init?(dockerfile: Data, fileName: String, buildArguments: [String: String], target: String?,
                 journal: Journal, platform: Platform = .linuxAMD64) {
        let options = BuildOptions(buildArgs: buildArguments, target: target)
        let report = DockerfileChecker.check(source: Array(dockerfile), fileName: fileName, options: options)
        guard let plan = report.plan else { return nil }
        var reach = ContextReach(plan: plan, mainContext: BuildSession.mainContext) { _ in nil }
        let resolver = BaseImageResolver(journal: journal, platform: platform, imageContexts: [:], pinned: [:])
        for index in plan.requiredStages {
            guard case .external(let name) = plan.stages[index].base,
                  case .image(let image, _)? = try? resolver.resolve(name) else { continue }
            if !(image.configuration.config?.onBuild ?? []).isEmpty { reach.reachEverything(of: BuildSession.mainContext) }
        }
        self.reach = reach
    }

    /// Whether the build can read the file at `path` (relative to the context).
    public func reaches(_ path: String) -> Bool {
        reach.reaches(path, in: BuildSession.mainContext)
    }
}
