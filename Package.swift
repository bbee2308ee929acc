// swift-tools-version: 6.1
// The target list reads like the data flow of the design notes: Frontend → Engine (over
// ContentStore → BuildJournal, LayerArchive, OCIImage, Sandbox) → CLI. Nothing reaches back up.
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
    ],
    targets: [
        // System libraries from Debian (libarchive-dev, zlib1g-dev, libseccomp-dev).
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libseccomp-dev: the RUN steps' seccomp filter is built with it (in the parent).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // The only code that runs between clone() and execve(): C, no allocation.
        .target(name: "CSandbox", dependencies: ["CSeccomp"], linkerSettings: [.linkedLibrary("seccomp")]),
        // syncfs(2), which Swift's Glibc module does not export.
        .target(name: "CFileSystem"),

        // Dockerfile text → typed, located instructions. Depends on nothing of ours.
        .target(name: "Frontend", swiftSettings: strict),
        // Content-addressed blobs. Depends on nothing of ours.
        .target(name: "ContentStore",
                dependencies: ["CFileSystem", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // SQLite index over the store.
        .target(name: "BuildJournal",
                dependencies: ["ContentStore", .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Trees, deterministic tar+gzip layers, safe layer application.
        .target(name: "LayerArchive",
                dependencies: ["ContentStore", "CLibArchive", "CZlib",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // OCI image layouts: read, write, import, export.
        .target(name: "OCIImage", dependencies: ["ContentStore", "LayerArchive"],
                swiftSettings: strict),
        // Linux namespaces, overlay rootfs, mounts; knows nothing of the journal.
        .target(name: "Sandbox", dependencies: ["CSandbox"], swiftSettings: strict),
        // Plans and runs builds, records them.
        .target(name: "Engine",
                dependencies: ["Frontend", "ContentStore", "BuildJournal", "LayerArchive",
                               "OCIImage", "Sandbox",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // Re-executes recorded builds from the journal alone, under variations; verify; bundles.
        .target(name: "Replay",
                dependencies: ["Engine", "BuildJournal", "ContentStore", "LayerArchive", "OCIImage", "Sandbox"],
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
                               "OCIImage", "Sandbox", "Engine", "Replay", "Differ", "DiffPresenters", "DisplayText",
                               "Provenance", "Bisect",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "reprise", dependencies: ["RepriseCLI"], swiftSettings: strict),

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
        .testTarget(name: "ReplayTests", dependencies: ["TestSupport", "Replay", "Engine", "BuildJournal", "Sandbox"],
                    swiftSettings: strict),
        .testTarget(name: "ProvenanceTests",
                    dependencies: ["TestSupport", "Provenance", "BuildJournal", "ContentStore", "OCIImage"],
                    swiftSettings: strict),
        .testTarget(name: "BisectTests", dependencies: ["TestSupport", "Bisect", "Differ", "LayerArchive", "DifferenceModel"],
                    swiftSettings: strict),
        .testTarget(name: "RepriseCLITests", dependencies: ["TestSupport", "RepriseCLI"], swiftSettings: strict),
    ]
)
