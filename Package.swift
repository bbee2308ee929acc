// swift-tools-version: 6.1
// The target list reads like the data flow of the design notes: Frontend → Engine (over
// ContentStore → LayerArchive → BuildJournal, OCIImage, Sandbox) → CLI. Nothing reaches back up.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Reprise",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "reprise", targets: ["reprise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        // The network recorder: an HTTP/1.1 proxy with CONNECT interception (per-journal CA).
        // The OCI distribution client's HTTP (with NIOSSL, so tests can trust their own CA).
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // System libraries from Debian (libarchive-dev, zlib1g-dev, libseccomp-dev).
        // libarchive's headers only: the library is not linked but loaded on first use by
        // CLibArchiveLoader (it and its dependencies cost every start ~1.5 ms, and most commands,
        // a fully cached build among them, never touch a tar).
        .systemLibrary(name: "CLibArchive", providers: [.apt(["libarchive-dev"])]),
        .target(name: "CLibArchiveLoader", dependencies: ["CLibArchive"],
                linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libseccomp-dev: the RUN steps' seccomp filter is built with it (in the parent).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // The only code that runs between clone() and execve(): C, no allocation.
        .target(name: "CSandbox", dependencies: ["CSeccomp"], linkerSettings: [.linkedLibrary("seccomp")]),
        // syncfs(2), which Swift's Glibc module does not export.
        .target(name: "CFileSystem"),
        // sqlite3_db_config (variadic) for the journal's index: no checkpoint when a build closes it.
        .target(name: "CSQLiteOptions", linkerSettings: [.linkedLibrary("sqlite3")]),
        // setns(2) for the network recorder, which makes its sockets inside a step's namespace.
        .target(name: "CNetworkNamespace"),

        // Dockerfile text → typed, located instructions. Depends on nothing of ours.
        .target(name: "Frontend", swiftSettings: strict),
        // Content-addressed blobs. Depends on nothing of ours.
        .target(name: "ContentStore",
                dependencies: ["CFileSystem", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // SQLite index over the store. It installs LayerArchive's `LayerRecipeProducer` on the
        // store it opens, so that a COPY layer kept as a recipe is readable wherever a journal is.
        .target(name: "BuildJournal",
                dependencies: ["ContentStore", "LayerArchive", "CSQLiteOptions", .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Trees, deterministic tar+gzip layers, safe layer application.
        .target(name: "LayerArchive",
                dependencies: ["ContentStore", "CLibArchive", "CLibArchiveLoader", "CZlib",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // OCI image layouts: read, write, import, export.
        .target(name: "OCIImage", dependencies: ["ContentStore", "LayerArchive"],
                swiftSettings: strict),
        // The OCI distribution client: pull and push blobs and manifests, referrers, auth. Its
        // HTTP package stays behind the client: nothing above sees NIO types.
        .target(name: "Registry",
                dependencies: ["ContentStore", "OCIImage",
                               .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl")],
                swiftSettings: strict),
        // Linux namespaces, overlay rootfs, mounts; knows nothing of the journal.
        .target(name: "Sandbox", dependencies: ["CSandbox"], swiftSettings: strict),
        // What RUN steps fetch: a recording (or replaying) HTTP proxy, DNS responder and
        // transparent listener in the step's network namespace; bodies go to the store.
        .target(name: "NetworkRecorder",
                dependencies: ["ContentStore", "BuildJournal", "CNetworkNamespace",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                               .product(name: "NIOFoundationCompat", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "X509", package: "swift-certificates"),
                               .product(name: "SwiftASN1", package: "swift-asn1"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Plans and runs builds, records them.
        .target(name: "Engine",
                dependencies: ["Frontend", "ContentStore", "BuildJournal", "LayerArchive", "CFileSystem",
                               "OCIImage", "Registry", "Sandbox", "NetworkRecorder",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // Re-executes recorded builds from the journal alone, under variations; verify; bundles.
        .target(name: "Replay",
                dependencies: ["Engine", "BuildJournal", "ContentStore", "LayerArchive", "OCIImage", "Registry", "Sandbox"],
                swiftSettings: strict),
        // SLSA provenance, DSSE signatures and verification summaries from the journal's records
        // (journal record → in-toto statement → DSSE → OCI attestation manifest or referrer).
        .target(name: "Provenance",
                dependencies: ["BuildJournal", "ContentStore", "LayerArchive", "OCIImage",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // The differ: a value tree of differences (model), the comparators that build it, and
        // presenters that only walk the tree.
        // Outside text (names, ids, Dockerfile lines, step output) made safe for a terminal:
        // shared by the presenters and the CLI, so it depends on nothing.
        .target(name: "DisplayText", swiftSettings: strict),
        .target(name: "DifferenceModel", swiftSettings: strict),
        .target(name: "Differ",
                dependencies: ["DifferenceModel", "ContentStore", "BuildJournal", "LayerArchive", "OCIImage"],
                swiftSettings: strict),
        .target(name: "DiffPresenters", dependencies: ["DifferenceModel", "DisplayText"], swiftSettings: strict),
        // Bisect: input-change sets → hybrid builds through the engine → a predicate; commits of a
        // git repository the same way. Above Replay and Differ, below the CLI.
        .target(name: "Bisect",
                dependencies: ["Engine", "Replay", "Differ", "DifferenceModel", "BuildJournal", "ContentStore",
                               "LayerArchive", "OCIImage", "Sandbox"],
                swiftSettings: strict),
        // ArgumentParser commands: flags in, library calls, errors to exit codes.
        .target(name: "RepriseCLI",
                dependencies: ["Frontend", "ContentStore", "BuildJournal", "LayerArchive",
                               "OCIImage", "Registry", "Sandbox", "Engine", "Replay", "Differ", "DiffPresenters", "DisplayText",
                               "Provenance", "Bisect",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // --no-export-dynamic: the static Swift runtime's link arguments export every symbol of
        // the executable's own objects (49,000 in .dynsym), which the dynamic loader and the
        // runtime's dladdr at start walk: ~1 ms of every start. Nothing looks symbols up
        // dynamically (backtraces read .symtab); it changes nothing for a dynamic debug build.
        // lld (the toolchain's own) with packed relative relocations (DT_RELR, glibc >= 2.36):
        // the position-independent executable's 147,000 relative relocations were a 3.5 MB
        // table the loader read at every start; packed, they are 28 KB (about 1 ms of a fully
        // cached build, scripts/bench-build).
        .executableTarget(name: "reprise", dependencies: ["RepriseCLI"], swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic", "-use-ld=lld",
                                                         "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]),

        // Helpers every test target may use: temporary directories, running real tools, the OCI
        // validators (skopeo, umoci, oci-image-tool).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        // A StepRunner that runs nothing and answers from a script: engine logic without root.
        .target(name: "SandboxTestSupport", dependencies: ["Sandbox"], path: "Tests/SandboxTestSupport",
                swiftSettings: strict),
        .testTarget(name: "FrontendTests", dependencies: ["Frontend"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ContentStoreTests", dependencies: ["TestSupport", "ContentStore"], swiftSettings: strict),
        .testTarget(name: "BuildJournalTests",
                    dependencies: ["TestSupport", "BuildJournal", "ContentStore", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "LayerArchiveTests", dependencies: ["TestSupport", "LayerArchive", "ContentStore"],
                    swiftSettings: strict),
        .testTarget(name: "OCIImageTests", dependencies: ["TestSupport", "OCIImage", "LayerArchive", "ContentStore"],
                    swiftSettings: strict),
        .testTarget(name: "SandboxTests", dependencies: ["TestSupport", "SandboxTestSupport", "Sandbox"],
                    swiftSettings: strict),
        .testTarget(name: "DifferTests", dependencies: ["TestSupport", "Differ", "DifferenceModel", "DiffPresenters", "LayerArchive"],
                    swiftSettings: strict),
        .testTarget(name: "DisplayTextTests", dependencies: ["DisplayText"],
                    swiftSettings: strict),
        .testTarget(name: "EngineTests",
                    dependencies: ["TestSupport", "SandboxTestSupport", "Engine", "BuildJournal", "Sandbox"],
                    swiftSettings: strict),
        .testTarget(name: "NetworkRecorderTests", dependencies: ["TestSupport", "NetworkRecorder", "ContentStore", "BuildJournal",
                                                               "CNetworkNamespace"],
                    swiftSettings: strict),
        .testTarget(name: "ReplayTests", dependencies: ["TestSupport", "Replay", "Engine", "BuildJournal", "Sandbox"],
                    swiftSettings: strict),
        .testTarget(name: "RegistryTests",
                    dependencies: ["TestSupport", "Registry", "OCIImage", "ContentStore"],
                    swiftSettings: strict),
        .testTarget(name: "ProvenanceTests",
                    dependencies: ["TestSupport", "Provenance", "BuildJournal", "ContentStore", "OCIImage"],
                    swiftSettings: strict),
        .testTarget(name: "BisectTests", dependencies: ["TestSupport", "Bisect", "Differ", "LayerArchive", "DifferenceModel", "BuildJournal", "ContentStore"],
                    swiftSettings: strict),
        .testTarget(name: "RepriseCLITests", dependencies: ["TestSupport", "RepriseCLI"], swiftSettings: strict),
    ]
)
