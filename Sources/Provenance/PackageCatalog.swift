import Foundation

/// The packages an image's own package databases list: Debian's dpkg status, Alpine's apk
/// installed database, Python distributions' `.dist-info/METADATA`. Read as text, never run.
public struct PackageCatalog: Sendable, Hashable {
    public struct Package: Sendable, Hashable {
        public enum Ecosystem: String, Sendable, Hashable {
            case deb, apk, pypi
        }

        public var ecosystem: Ecosystem
        public var name: String
        public var version: String
        public var architecture: String?
        /// Where it was listed, for people.
        public var source: String

        /// The package URL (purl spec): `pkg:deb/debian/NAME@VERSION?arch=…` and so on.
        public var purl: String {
            let encode: (String) -> String = { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_~+"))) ?? $0 }
            switch ecosystem {
            case .deb: return "pkg:deb/debian/\(encode(name))@\(encode(version))" + (architecture.map { "?arch=\(encode($0))" } ?? "")
            case .apk: return "pkg:apk/alpine/\(encode(name))@\(encode(version))" + (architecture.map { "?arch=\(encode($0))" } ?? "")
            case .pypi: return "pkg:pypi/\(encode(name.lowercased().replacingOccurrences(of: "_", with: "-")))@\(encode(version))"
            }
        }
    }

    public var packages: [Package]

    public init(files: [String: Data]) {
        var packages: [Package] = []
        for (path, data) in files.sorted(by: { $0.key < $1.key }) {
            let text = String(decoding: data, as: UTF8.self)
            if path == "var/lib/dpkg/status" {
                packages += Self.stanzas(text).compactMap { fields in
                    guard let name = fields["Package"], let version = fields["Version"],
                          fields["Status"]?.hasSuffix(" installed") ?? false else { return nil }
                    return Package(ecosystem: .deb, name: name, version: version, architecture: fields["Architecture"], source: path)
                }
            } else if path == "lib/apk/db/installed" {
                packages += Self.apkStanzas(text).compactMap { fields in
                    guard let name = fields["P"], let version = fields["V"] else { return nil }
                    return Package(ecosystem: .apk, name: name, version: version, architecture: fields["A"], source: path)
                }
            } else if let fields = Self.stanzas(text).first, let name = fields["Name"], let version = fields["Version"] {
                packages.append(Package(ecosystem: .pypi, name: name, version: version, architecture: nil, source: path))
            }
        }
        self.packages = packages
    }

    /// RFC 822-style stanzas separated by blank lines; continuation lines (leading space) skipped.
    static func stanzas(_ text: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var current: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { result.append(current) }
                current = [:]
            } else if !line.hasPrefix(" "), !line.hasPrefix("\t"), let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                if current[key] == nil { current[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// apk's `X:value` lines, stanzas separated by blank lines.
    static func apkStanzas(_ text: String) -> [[String: String]] {
        stanzas(text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.count >= 2 && line.dropFirst().first == ":" ? String(line.prefix(1)) + ": " + line.dropFirst(2) : String(line)
        }.joined(separator: "\n"))
    }
}
