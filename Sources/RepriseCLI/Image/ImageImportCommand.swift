import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage

/// `reprise image import SOURCE --name NAME`: an OCI layout (dir or tar,
/// `oci-layout://PATH[:TAG|@DIGEST]`), a `docker save` tar or a rootfs tar into the journal.
struct ImageImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI layout, a docker-archive tar or a rootfs tar into the journal.", discussion: CommandHelp.discussion("image import"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "PATH or oci-layout://PATH[:TAG|@DIGEST].") var source: String
    @Option(help: "Name to give the image (default: the layout's tag name, if any).") var name: String?
    @Option(help: "Progress on stderr: auto (one line redrawn when stderr is a terminal, else none), tty, plain or quiet.")
    var progress: TaskProgressMeter.Mode = .auto

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open()
            var importer = ImageImporter(store: journal.store)
            let meter = TaskProgressMeter(progress, title: "import")
            defer { meter.finish() }
            importer.progress = meter.handler
            let image: ResolvedImage
            if source.hasPrefix("oci-layout://") {
                image = try importer.importImage(from: LayoutReference(parsing: String(source.dropFirst(13))))
            } else {
                guard FileManager.default.fileExists(atPath: source) else {
                    throw ValidationError("\(source): no such file or directory")
                }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue,
                   !FileManager.default.fileExists(atPath: source + "/index.json") {
                    throw ValidationError("\(source) is a plain directory, not an image: give an OCI layout "
                        + "(oci-layout://PATH[:TAG], e.g. what `skopeo copy … oci:PATH:TAG` writes), a docker-archive "
                        + "tar, or a rootfs as a tar (tar -C \(source) -cf rootfs.tar .)")
                }
                image = try importer.importImage(at: source)
            }
            try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                      source: "import:\(source)")
            let chosen = name ?? image.root.annotations?["io.containerd.image.name"]
                ?? image.root.annotations?["org.opencontainers.image.ref.name"].flatMap { Self.name(fromRefName: $0, layout: source) }
            if let chosen {
                try journal.tag(Journal.normalizedImageName(chosen), manifest: image.root.digest)
                print("\(image.root.digest)  \(Journal.familiarImageName(try Journal.normalizedImageName(chosen)))")
            } else {
                print(image.root.digest)
            }
            // Unpacked now, as `docker load` does, not on the first build's critical path; after
            // the image is registered and named, so that nothing here can lose the import.
            do {
                for failure in try ImageUnpacker(journal: journal).unpack(image) {
                    Terminal.warning("\(failure.subject) not unpacked: \(failure.reason)")
                }
            } catch {
                Terminal.warning("the image's layers were not unpacked: \(error)")
            }
        }
    }

    /// The name a layout's ref name gives: a full reference as is (`app:1`, `example.org/app`);
    /// a bare name as skopeo writes it (`oci:DIR:busybox` → `busybox`); a tag alone (`latest`,
    /// `1.36`) belongs to the layout, so the layout's directory names the repository
    /// (`./busybox` with `latest` → `busybox:latest`).
    static func name(fromRefName refName: String, layout: String) -> String? {
        if refName.contains(":") || refName.contains("/") { return refName }
        let isTag = refName == "latest" || refName.first.map { $0.isNumber || $0 == "v" } == true
        if !isTag, (try? Journal.normalizedImageName(refName)) != nil { return refName }
        var path = layout.hasPrefix("oci-layout://") ? String(layout.dropFirst(13)) : layout
        if let colon = path.lastIndex(of: ":") { path = String(path[..<colon]) }
        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.lowercased()
        let repository = base.filter { $0.isLetter || $0.isNumber || "._-".contains($0) }
        guard !repository.isEmpty else { return nil }
        let candidate = repository + ":" + refName
        return (try? Journal.normalizedImageName(candidate)) != nil ? candidate : nil
    }
}
