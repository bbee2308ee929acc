import Foundation

/// One `--output` / `-o` value, parsed as `docker buildx build` parses it.
///
/// `type=oci,dest=out.tar`, `type=oci,dest=out,tar=false`, `type=docker,dest=img.tar,name=app:1`,
/// `type=local,dest=dir`, `type=tar,dest=-`; a bare `PATH` means `type=local,dest=PATH` and a
/// bare `-` means `type=tar,dest=-`. The value is a CSV record, so `"name=a:1,b:2"` in quotes
/// gives two names. A pure value: the CLI parses, the exporter acts.
public struct OutputSpec: Hashable, Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The image's filesystem, unpacked into a directory.
        case local
        /// The image's filesystem as one tar.
        case tar
        /// An OCI image layout (a tar unless `tar=false`).
        case oci
        /// A `docker load`-able tar (an OCI layout plus `manifest.json`), or a directory.
        case docker
        /// An image in a store or registry (`registry` is `image` with `push=true`).
        case image
    }

    public var type: Kind
    /// `dest=`: a file, a directory, or `-` for standard output. Nil when not given.
    public var destination: String?
    /// `tar=`: for `oci` and `docker`, false writes a layout directory instead of a tar.
    public var tar: Bool
    /// `name=`: image names, comma separated.
    public var names: [String]
    /// `push=`.
    public var push: Bool
    /// Every other `key=value`, keys lower-cased, for exporters that understand them
    /// (`compression`, `oci-mediatypes`, `rewrite-timestamp`, `annotation.*`…).
    public var attributes: [String: String]

    public init(type: Kind, destination: String? = nil, tar: Bool = true, names: [String] = [],
                push: Bool = false, attributes: [String: String] = [:]) {
        self.type = type
        self.destination = destination
        self.tar = tar
        self.names = names
        self.push = push
        self.attributes = attributes
    }

    /// Whether the output goes to standard output (`dest=-`).
    public var writesToStandardOutput: Bool { destination == "-" }

    /// Whether an `oci` or `docker` output is a tar rather than a layout directory.
    public var isArchive: Bool {
        switch type {
        case .oci, .docker: return tar
        case .tar: return true
        case .local, .image: return false
        }
    }

    /// Parses one `--output` value.
    public init(parsing text: String) throws {
        func fail(_ reason: String) -> ImageError { .invalidOutputSpec(text, reason: reason) }
        let fields = try Self.csvFields(text, fail: fail)
        if fields.count == 1, !fields[0].contains("="), !text.hasPrefix("type=") {
            guard !fields[0].isEmpty else { throw fail("empty") }
            self = fields[0] == "-" ? OutputSpec(type: .tar, destination: "-")
                                    : OutputSpec(type: .local, destination: fields[0])
            return
        }
        var typeName: String?
        var attributes: [String: String] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else {
                throw fail("\"\(field)\" is not key=value")
            }
            let key = field[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(field[field.index(after: equals)...])
            if key == "type" { typeName = value } else { attributes[key] = value }
        }
        if typeName == nil, let destination = attributes["dest"], !destination.isEmpty {
            // buildx's inference for a destination without a type: a directory, or a tar on stdout.
            typeName = destination == "-" ? Kind.tar.rawValue : Kind.local.rawValue
        }
        guard let typeName, !typeName.isEmpty else { throw fail("type is required (type=oci|docker|local|tar|image)") }
        var push = false
        let kind: Kind
        if typeName == "registry" {
            kind = .image
            push = true
        } else if let known = Kind(rawValue: typeName) {
            kind = known
        } else {
            throw fail("unknown type \"\(typeName)\" (oci, docker, local, tar, image, registry)")
        }
        if let value = attributes.removeValue(forKey: "push") {
            guard let flag = Self.parseBool(value) else { throw fail("push=\(value) is not a boolean") }
            push = flag
        }
        var tar = true
        if let value = attributes.removeValue(forKey: "tar") {
            guard let flag = Self.parseBool(value) else { throw fail("tar=\(value) is not a boolean") }
            tar = flag
        }
        let destination = attributes.removeValue(forKey: "dest")
        let names = (attributes.removeValue(forKey: "name") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.init(type: kind, destination: destination, tar: tar, names: names, push: push,
                  attributes: attributes)
        switch kind {
        case .local, .oci, .tar:
            guard let destination, !destination.isEmpty else {
                throw fail("type=\(typeName) needs dest=PATH (or dest=- for standard output)")
            }
            if kind == .local && destination == "-" { throw fail("type=local cannot write to standard output") }
            if !tar && destination == "-" { throw fail("tar=false writes a directory, not standard output") }
        case .docker, .image:
            break
        }
    }

    /// Go's `strconv.ParseBool`, for the exporters' boolean options.
    public static func parseBoolean(_ text: String) -> Bool? { parseBool(text) }

    /// Go's `strconv.ParseBool`, which buildx uses.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// Splits one CSV record: commas separate fields; a field may be quoted, `""` inside quotes
    /// being one quote. Quotes may also start mid-field (`name="a,b"`), as buildx users write.
    static func csvFields(_ text: String, fail: (String) -> ImageError) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = text.makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if quoted {
                if character == "\"" {
                    if pending == "\"" { current.append("\""); pending = characters.next() } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !quoted else { throw fail("unterminated quote") }
        fields.append(current)
        return fields
    }
}
