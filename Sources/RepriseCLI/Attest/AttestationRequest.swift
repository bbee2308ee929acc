import ArgumentParser
import Provenance

/// What `--provenance`, `--attest` and `--sbom` ask for, parsed as buildx parses them:
/// `--provenance=true|false|mode=min|mode=max` (true means min), `--attest
/// type=provenance,mode=…` or `type=sbom` (repeatable, `disabled=true` turns one off),
/// `--sbom=true|false`. Nothing is attached unless asked for.
struct AttestationRequest: Hashable, Sendable {
    var provenance: ProvenanceMode?
    var sbom = false

    var isEmpty: Bool { provenance == nil && !sbom }

    init(provenance: String?, attest: [String], sbom: String?) throws {
        if let provenance { self.provenance = try Self.provenanceMode(provenance, flag: "--provenance") }
        if let sbom { self.sbom = try Self.enabled(sbom, flag: "--sbom") }
        for value in attest {
            var fields = try Self.fields(value, flag: "--attest")
            let type = fields.removeValue(forKey: "type")
            if let disabled = fields.removeValue(forKey: "disabled"),
               try Self.boolean(disabled, flag: "--attest \(value)") {
                if type == "provenance" { self.provenance = nil } else if type == "sbom" { self.sbom = false }
                continue
            }
            switch type {
            case "provenance":
                let mode = fields.removeValue(forKey: "mode") ?? ProvenanceMode.min.rawValue
                guard let parsed = ProvenanceMode(rawValue: mode) else {
                    throw ValidationError("--attest \(value): mode must be min or max")
                }
                self.provenance = parsed
            case "sbom":
                self.sbom = true
            default:
                throw ValidationError("--attest \(value): type must be provenance or sbom")
            }
        }
    }

    static func provenanceMode(_ value: String, flag: String) throws -> ProvenanceMode? {
        if !value.contains("=") { return try boolean(value, flag: flag) ? .min : nil }
        var fields = try fields(value, flag: flag)
        if let disabled = fields.removeValue(forKey: "disabled"), try boolean(disabled, flag: flag) { return nil }
        guard let mode = ProvenanceMode(rawValue: fields.removeValue(forKey: "mode") ?? "min") else {
            throw ValidationError("\(flag)=\(value): mode must be min or max")
        }
        return mode
    }

    static func enabled(_ value: String, flag: String) throws -> Bool {
        if !value.contains("=") { return try boolean(value, flag: flag) }
        let fields = try fields(value, flag: flag)
        return !(try fields["disabled"].map { try boolean($0, flag: flag) } ?? false)
    }

    static func fields(_ value: String, flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for field in value.split(separator: ",") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("\(flag) \(value): \"\(field)\" is not key=value") }
            result[parts[0].lowercased()] = parts[1]
        }
        return result
    }

    /// Go's `strconv.ParseBool`, which buildx uses.
    static func boolean(_ value: String, flag: String) throws -> Bool {
        switch value {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw ValidationError("\(flag)=\(value): expected true, false or mode=min|max")
        }
    }
}
