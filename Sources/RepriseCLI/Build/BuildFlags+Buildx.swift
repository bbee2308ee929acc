import ArgumentParser
import Engine
import Foundation
import OCIImage

/// The buildx flags that shape the image and the steps beyond the Dockerfile: `--label`,
/// `--annotation` (and an output's `annotation.*`), `--add-host`, `--no-cache-filter`,
/// `--cache-from`/`--cache-to`. Kept apart from ``BuildFlags``'s core so each reads alone.
extension BuildFlags {
    /// `--builder` and `--cgroup-parent`, checked in `validate()` so even `--call` refuses them.
    func validateBuilderFlags() throws {
        // buildx fails on a builder it does not know; the only one here is its `default`.
        if let builder, builder != "default" {
            throw ValidationError("--builder \(builder): no such builder; Reprise builds in its own sandbox, "
                + "the one builder there is, named default")
        }
        if let cgroupParent {
            throw ValidationError("--cgroup-parent \(cgroupParent) is not supported: RUN steps run in cgroups Reprise "
                + "makes under its own (limit them with --memory, --pids-limit, --ulimit)")
        }
    }

    func applyBuildxOptions(to request: inout BuildRequest, inputs: StagedInputs?) throws {
        for text in label {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--label \(text): expected KEY=VALUE") }
            request.labels[parts[0]] = parts[1]
        }
        request.annotations = try annotations(outputs: request.outputs)
        let targets = Set(request.annotations.flatMap(\.targets))
        // As BuildKit: without an index (attestations make one) there is nowhere to put these.
        if request.attestor == nil, try platforms().count < 2, !targets.isDisjoint(with: [.index, .indexDescriptor]) {
            throw ValidationError("--annotation index:…/index-descriptor:… needs an image index: "
                + "a single-platform image without attestations has none (add --provenance or --sbom, or "
                + "use manifest: or manifest-descriptor:)")
        }
        request.extraHosts = try addHost.map { text in
            if text.hasSuffix(":host-gateway") || text.hasSuffix("=host-gateway") {
                throw ValidationError("--add-host \(text): host-gateway has no meaning here (RUN steps reach the "
                    + "outside only through the recorder, or with --network host see the host's own names)")
            }
            guard let host = ExtraHost(parsing: text) else {
                throw ValidationError("--add-host \(text): expected NAME:IP, e.g. db:10.0.0.5")
            }
            return host
        }
        request.noCacheStages = Set(noCacheFilter.flatMap { $0.split(separator: ",").map { $0.lowercased() } })
        if let origin = inputs?.origin {
            request.contextOrigin = origin
        } else if !request.contextPath.hasPrefix("/") {
            // Recorded as an absolute path: `.` names nothing once the build leaves this shell, and
            // a bundle (a cache export) refuses such an origin.
            request.contextOrigin = URL(fileURLWithPath: request.contextPath).standardizedFileURL.path
        }
    }

    /// `--annotation`s, then every output's `annotation.*` options (one image for every output,
    /// so they all apply to it).
    func annotations(outputs: [OutputSpec]) throws -> [ImageAnnotation] {
        var list: [ImageAnnotation] = []
        for text in annotation {
            do { list.append(try ImageAnnotation(parsing: text)) } catch { throw ValidationError("\(error)") }
        }
        for output in outputs {
            for (key, value) in output.attributes.sorted(by: { $0.key < $1.key }) {
                if let parsed = try ImageAnnotation(outputKey: key, value: value) { list.append(parsed) }
            }
        }
        return list
    }

    /// `--cache-to`: one destination (``StepCacheLocation``), refused before any step runs when malformed.
    var cacheExport: StepCacheLocation? {
        get throws {
            guard let text = cacheTo.last else { return nil }
            guard cacheTo.count == 1 else { throw ValidationError("--cache-to: give one destination") }
            return try StepCacheLocation(parsing: text, export: true)
        }
    }

    /// `--cache-from`: every source, in order (a missing one is skipped, as buildx warns and goes on).
    var cacheImports: [StepCacheLocation] {
        get throws { try cacheFrom.map { try StepCacheLocation(parsing: $0, export: false) } }
    }
}

/// `--output` and `-t`, checked before any step runs: a build must not run for minutes and then
/// fail on a name or a destination it could have refused at once.
extension BuildFlags {
    func outputSpecs() throws -> [OutputSpec] {
        let specs = try output.map(Self.supportedOutput)
        if specs.filter(\.writesToStandardOutput).count > 1 {
            throw ValidationError("--output: only one output can write to standard output")
        }
        for name in tag + specs.flatMap(\.names) {
            do { _ = try ImageReference(parsing: name) } catch { throw ValidationError("invalid tag \"\(name)\": \(error)") }
        }
        for spec in specs {
            guard let destination = spec.destination, destination != "-" else { continue }
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory)
            if spec.isArchive, exists, isDirectory.boolValue {
                throw ValidationError("--output type=\(spec.type.rawValue),dest=\(destination): it is a directory; "
                    + "a tar goes to a file (or pass tar=false for a layout directory)")
            }
            if !spec.isArchive, exists, !isDirectory.boolValue {
                throw ValidationError("--output type=\(spec.type.rawValue),dest=\(destination): it is a file, not a directory")
            }
            let parent = (URL(fileURLWithPath: destination).deletingLastPathComponent().path)
            if spec.isArchive, !FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw ValidationError("--output type=\(spec.type.rawValue),dest=\(destination): directory \(parent) does not exist")
            }
        }
        return specs
    }
}
