import ArgumentParser
import OCIImage

/// Where `--cache-to` writes and `--cache-from` reads the journal's step cache, as buildx spells
/// it: `type=local,dest=DIR` / `type=local,src=DIR`, or `type=registry,ref=HOST/REPO:TAG` (and a
/// bare `HOST/REPO:TAG`, which buildx reads as a registry cache).
enum StepCacheLocation: Equatable {
    case local(directory: String)
    case registry(ImageReference)

    /// The keys each direction accepts besides `type` (buildx's names; `mode`, and for imports
    /// `digest`/`tag`, are accepted and have nothing to change: the bundle always holds every step).
    private static func allowedKeys(export: Bool) -> Set<String> {
        export ? ["type", "dest", "ref", "mode", "oci-mediatypes", "image-manifest", "ignore-error"]
               : ["type", "src", "ref", "digest", "tag"]
    }

    /// `ignore-error=true` on `--cache-to`: a failed export is a warning, the build still succeeds.
    static func ignoresErrors(_ text: String) -> Bool {
        text.split(separator: ",").contains { $0.lowercased() == "ignore-error=true" }
    }

    init(parsing text: String, export: Bool) throws {
        let flag = export ? "--cache-to" : "--cache-from"
        if !text.contains("=") {
            self = .registry(try Self.reference(text, flag: flag, original: text))
            return
        }
        var fields: [String: String] = [:]
        for field in text.split(separator: ",") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("\(flag) \(text): '\(field)' is not KEY=VALUE") }
            fields[parts[0].lowercased()] = parts[1]
        }
        guard let type = fields["type"] else {
            throw ValidationError("\(flag) \(text): type= is required (type=local or type=registry)")
        }
        for key in fields.keys.sorted() where !Self.allowedKeys(export: export).contains(key) {
            throw ValidationError("\(flag) \(text): \(key)= is not supported")
        }
        // The bundle is always an OCI image manifest with OCI media types: these may only say so.
        for key in ["oci-mediatypes", "image-manifest"] where fields[key].map({ $0 != "true" }) ?? false {
            throw ValidationError("\(flag) \(text): \(key)=\(fields[key]!) is not supported (the cache is always an OCI artifact)")
        }
        if let value = fields["ignore-error"], !["true", "false"].contains(value) {
            throw ValidationError("\(flag) \(text): ignore-error must be true or false")
        }
        switch type {
        case "local":
            let key = export ? "dest" : "src"
            guard let directory = fields[key], !directory.isEmpty else {
                throw ValidationError("\(flag) \(text): type=local needs \(key)=DIR")
            }
            self = .local(directory: directory)
        case "registry":
            guard let ref = fields["ref"], !ref.isEmpty else {
                throw ValidationError("\(flag) \(text): type=registry needs ref=HOST/REPOSITORY:TAG")
            }
            self = .registry(try Self.reference(ref, flag: flag, original: text))
        default:
            throw ValidationError("\(flag) \(text): type=\(type) is not supported (type=local and type=registry are)")
        }
    }

    private static func reference(_ text: String, flag: String, original: String) throws -> ImageReference {
        do {
            return try ImageReference(parsing: text)
        } catch {
            throw ValidationError("\(flag) \(original): '\(text)' is not a registry reference: \(error)")
        }
    }
}
