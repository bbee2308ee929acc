import Frontend

/// Which files of each context a build can read: what its COPY/ADD sources and bind or cache
/// mount sources name, as BuildKit transfers only those (after `.dockerignore`). A file no
/// instruction can reach is neither hashed nor stored — a `.env`, `.git/` or a secret's source
/// file lying in the context stays out of the journal and of every exported bundle.
struct ContextReach: Sendable {
    enum Extent: Sendable, Equatable {
        /// The whole context (`COPY . /app`, `FROM ctx`, a bind mount of its root).
        case everything
        /// Source paths as written (cleaned, relative; globs allowed).
        case paths(Set<String>)
    }

    /// By context name, as the engine keys contexts; a context no instruction reads is absent.
    private(set) var extents: [String: Extent] = [:]

    init() {}

    /// The reach of `plan`'s required stages. `contextNamed` maps a name written in the
    /// Dockerfile (`--from=`, `from=`, a stage's base) to the context it refers to, or nil.
    init(plan: DockerfilePlan, mainContext: String, contextNamed: (String) -> String?) {
        for index in plan.requiredStages {
            let stage = plan.stages[index]
            if let name = stage.name, let context = contextNamed(name) {
                extents[context] = .everything  // the stage is replaced by the context
                continue
            }
            if case .external(let base) = stage.base, let context = contextNamed(base) { extents[context] = .everything }
            for instruction in stage.instructions {
                switch instruction.expanded {
                case .copy(let copy):
                    add(CopyRequest(copy).pathSources, to: copy.from.flatMap(contextNamed) ?? (copy.from == nil ? mainContext : nil))
                case .add(let add):
                    self.add(CopyRequest(add).pathSources, to: mainContext)
                case .run(let run):
                    for mount in run.mounts {
                        switch mount {
                        case .bind(let bind):
                            add([CopyPaths.clean(bind.source ?? "/")],
                                to: bind.from.flatMap(contextNamed) ?? (bind.from == nil ? mainContext : nil))
                        case .cache(let cache) where cache.from != nil:
                            add([CopyPaths.clean(cache.source ?? "/")], to: cache.from.flatMap(contextNamed))
                        default:
                            continue
                        }
                    }
                default:
                    continue
                }
            }
        }
    }

    /// The whole of `context` is reachable (a base image's ONBUILD triggers may copy anything).
    mutating func reachEverything(of context: String) {
        extents[context] = .everything
    }

    private mutating func add(_ paths: [String], to context: String?) {
        guard let context, extents[context] != .everything else { return }
        if paths.contains("") { extents[context] = .everything; return }
        guard case .paths(var known)? = extents[context] else {
            extents[context] = .paths(Set(paths))
            return
        }
        known.formUnion(paths)
        extents[context] = .paths(known)
    }

    /// Whether the entry at `path` (relative) of `context` can matter to the build: it lies on
    /// the way to a source or below one.
    func reaches(_ path: String, in context: String) -> Bool {
        switch extents[context] {
        case .everything: return true
        case .paths(let sources): return sources.contains { CopySelection.isRelevant(path, to: $0) }
        case nil: return false
        }
    }
}
