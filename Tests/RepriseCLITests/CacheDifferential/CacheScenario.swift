import Foundation

/// A build whose context the differential cache test mutates at random: its Dockerfile and
/// files, the groups of paths mutations pick from, and which groups each step reads (so the
/// test knows which steps must stay CACHED after a change elsewhere).
struct CacheScenario: CustomStringConvertible, Sendable {
    /// A directory that mutations change: under the main context (`context/…`) or a named one.
    struct Group: Sendable {
        var name: String
        /// Relative to the scenario's working directory.
        var root: String
    }

    /// A Dockerfile step, by line, and the groups it reads itself (build args as `arg:NAME`).
    struct Step: Sendable {
        var line: Int
        var stage: String
        var reads: Set<String>
        /// The stage whose output this step copies (`COPY --from`), whose reads it inherits.
        var fromStage: String?
    }

    var name: String
    var dockerfile: String
    /// Relative to the scenario's working directory (`context/…`, `lib/…`).
    var files: [String: String]
    var groups: [Group]
    var namedContexts: [String: String] = [:]
    /// Build args the test may change, with the values it picks from (the first is the start).
    var arguments: [String: [String]] = [:]
    var steps: [Step] = []
    /// Files regenerated from a group after it changes: archive path → group root (tar).
    var archives: [String: String] = [:]
    /// Extra build flags.
    var flags: [String] = []
    /// A Corpus case: only the digests are compared (its steps are not modelled).
    var corpus: CorpusCase?

    var description: String { name }

    /// The groups a step depends on: its own, every earlier step's of its stage, and those of the
    /// stages it copies from, since a key covers the state it starts from.
    func dependencies(ofLine line: Int) -> Set<String>? {
        guard let index = steps.firstIndex(where: { $0.line == line }) else { return nil }
        var result: Set<String> = []
        for step in steps[...index] where step.stage == steps[index].stage {
            result.formUnion(step.reads)
            if let from = step.fromStage { result.formUnion(stageDependencies(from)) }
        }
        return result
    }

    private func stageDependencies(_ stage: String) -> Set<String> {
        guard let last = steps.last(where: { $0.stage == stage }) else { return [] }
        return dependencies(ofLine: last.line) ?? []
    }
}

extension CacheScenario {
    static let epoch = "1700000000"

    /// Generated scenarios covering directory copies, globs, --chown, .dockerignore, stages,
    /// named contexts, build args, bind mounts and ADD of archives.
    static let generated: [CacheScenario] = [
        CacheScenario(
            name: "copy-trees",
            dockerfile: """
                FROM busybox
                WORKDIR /app
                COPY src/ ./src/
                COPY docs/*.md /docs/
                COPY --chown=1000:1000 conf/ /etc/app/
                RUN find /app /docs /etc/app | sort > /tree.txt && ls -lnR /app /docs /etc/app > /long.txt
                """,
            files: ["context/src/main.c": "int main(void) { return 0; }\n", "context/src/lib/util.c": "int util;\n",
                    "context/docs/a.md": "# A\n", "context/docs/b.txt": "not copied\n",
                    "context/conf/app.conf": "debug = false\n", "context/notes/todo": "nothing read\n"],
            groups: [.init(name: "src", root: "context/src"), .init(name: "docs", root: "context/docs"),
                     .init(name: "conf", root: "context/conf"), .init(name: "notes", root: "context/notes")],
            steps: [.init(line: 2, stage: "0", reads: []), .init(line: 3, stage: "0", reads: ["src"]),
                    .init(line: 4, stage: "0", reads: ["docs"]), .init(line: 5, stage: "0", reads: ["conf"]),
                    .init(line: 6, stage: "0", reads: [])]),
        CacheScenario(
            name: "copy-everything",
            dockerfile: """
                FROM busybox
                COPY . /ctx/
                RUN find /ctx | sort > /list.txt
                """,
            files: ["context/src/a.txt": "a\n", "context/src/deep/b.txt": "b\n", "context/.dockerignore": "scratch\n",
                    "context/scratch/tmp.log": "ignored\n"],
            groups: [.init(name: "src", root: "context/src"), .init(name: "scratch", root: "context/scratch")],
            steps: [.init(line: 2, stage: "0", reads: ["src"]), .init(line: 3, stage: "0", reads: [])]),
        CacheScenario(
            name: "stages-contexts-args",
            dockerfile: """
                FROM busybox AS builder
                ARG FLAVOR=plain
                COPY gen/ /gen/
                RUN mkdir -p /out && (find /gen -type f | sort | xargs cat | sort > /out/list) && echo "$FLAVOR" > /out/flavor

                FROM busybox
                COPY --from=builder /out/ /app/
                COPY --from=lib / /lib/
                RUN ls -lnR /app /lib > /listing
                """,
            files: ["context/gen/one": "1\n", "context/gen/two": "2\n", "context/other/x": "unread\n",
                    "lib/lib.so": "ELF?\n", "lib/include/lib.h": "int f(void);\n"],
            groups: [.init(name: "gen", root: "context/gen"), .init(name: "other", root: "context/other"),
                     .init(name: "lib", root: "lib")],
            namedContexts: ["lib": "lib"],
            arguments: ["FLAVOR": ["plain", "spicy", "sweet"]],
            steps: [.init(line: 2, stage: "builder", reads: ["arg:FLAVOR"]),
                    .init(line: 3, stage: "builder", reads: ["gen"]),
                    .init(line: 4, stage: "builder", reads: []),
                    .init(line: 7, stage: "1", reads: [], fromStage: "builder"),
                    .init(line: 8, stage: "1", reads: ["lib"]),
                    .init(line: 9, stage: "1", reads: [])]),
        CacheScenario(
            name: "bind-and-archive",
            dockerfile: """
                FROM busybox
                ADD pkg.tar /opt/pkg/
                RUN --mount=type=bind,source=src,target=/s (find /s | sort; find /s -type f | sort | xargs cat) > /bound.txt
                COPY --from=lib /include/ /usr/include/
                """,
            files: ["context/src/a": "alpha\n", "context/src/b/c": "gamma\n", "context/pkgsrc/bin/tool": "#!/bin/sh\n",
                    "context/pkgsrc/share/doc": "docs\n", "lib/include/x.h": "#define X 1\n"],
            groups: [.init(name: "src", root: "context/src"), .init(name: "pkgsrc", root: "context/pkgsrc"),
                     .init(name: "lib", root: "lib")],
            namedContexts: ["lib": "lib"],
            steps: [.init(line: 2, stage: "0", reads: ["pkgsrc"]), .init(line: 3, stage: "0", reads: ["src"]),
                    .init(line: 4, stage: "0", reads: ["lib"])],
            archives: ["context/pkg.tar": "context/pkgsrc"]),
    ]
}

extension CacheScenario {
    /// A deterministic Corpus case as a scenario: mutations change files in its subdirectories
    /// (never its Dockerfile or case.json), and only the two images are compared.
    static func corpus(_ corpus: CorpusCase) -> CacheScenario {
        let subdirectories = ((try? FileManager.default.contentsOfDirectory(atPath: corpus.directory)) ?? [])
            .filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: corpus.directory + "/" + name, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.sorted()
            // Secret values are outside every key by design (only ids count, as in BuildKit):
            // a directory holding a secret's source is not mutated.
            .filter { name in !(corpus.definition.build.secrets ?? [:]).values.contains { $0.hasPrefix(name + "/") } }
        let groups = subdirectories.isEmpty ? [Group(name: "extra", root: "context/extra")]
            : subdirectories.map { Group(name: $0, root: "context/" + $0) }
        return CacheScenario(name: "corpus-" + corpus.name, dockerfile: "", files: [:], groups: groups, corpus: corpus)
    }
}
