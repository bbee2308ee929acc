/// One `RUN --device=...` request: a CDI device (`vendor.com/class=name`, or a class with all
/// its devices `vendor.com/class=*`) the step needs in its sandbox.
///
/// Parsed as BuildKit's `ParseDevice` does: CSV fields; the first field without a key is the
/// name, `name=` names it explicitly, `required` (or `required=BOOL`) makes a missing device
/// an error instead of being skipped. BuildKit treats unrequired devices as optional: a
/// builder without them runs the step without them.
public struct RunDevice: Sendable, Hashable {
    public var name: String
    public var required: Bool

    public init(name: String, required: Bool = false) {
        self.name = name
        self.required = required
    }

    /// Parses one `--device` value; errors use BuildKit's wording.
    static func parse(_ value: String) throws(InstructionFailure) -> RunDevice {
        let fields: [String]
        do throws(InstructionFailure) {
            fields = try RunMount.csvFields(value)
        } catch {
            let prefix = "failed to parse csv mounts: "
            let reason = error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
            throw InstructionFailure("failed to parse csv devices: " + reason)
        }
        var device = RunDevice(name: "")
        for field in fields {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].lowercased()
            guard parts.count == 2 else {
                if key == "required" {
                    device.required = true
                } else if device.name.isEmpty {
                    device.name = field
                } else {
                    throw InstructionFailure("invalid field '\(field)' must be a key=value pair")
                }
                continue
            }
            switch key {
            case "name":
                guard device.name.isEmpty else {
                    throw InstructionFailure("device name already set to \(device.name)")
                }
                device.name = parts[1]
            case "required":
                guard let flag = GoSyntax.parseBool(parts[1]) else {
                    throw InstructionFailure("invalid value for \(key): \(parts[1])")
                }
                device.required = flag
            default:
                // `vendor.com/class=name` is itself a key=value field: the device name.
                if device.name.isEmpty {
                    device.name = field
                    continue
                }
                let hint = Suggestion.nearest(key, among: ["name", "required"]).map { " (did you mean \($0)?)" } ?? ""
                throw InstructionFailure("unexpected key '\(key)' in '\(field)'\(hint)")
            }
        }
        guard !device.name.isEmpty else {
            throw InstructionFailure("device name is required in --device=\(value)")
        }
        return device
    }
}
