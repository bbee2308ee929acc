import ArgumentParser
import Foundation

/// `--progress`, as buildx spells it.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, plain, tty, rawjson, quiet

    /// `auto` is `tty` on a terminal and `plain` elsewhere, as in buildx.
    /// `BUILDKIT_PROGRESS` stands for `auto`, as buildx reads it.
    func resolved(stderrIsTTY: Bool,
                  environment: [String: String] = ProcessInfo.processInfo.environment) -> ProgressMode {
        guard self == .auto else { return self }
        if let chosen = environment["BUILDKIT_PROGRESS"].flatMap(ProgressMode.init(rawValue:)), chosen != .auto {
            return chosen == .tty && !stderrIsTTY ? .plain : chosen
        }
        return stderrIsTTY ? .tty : .plain
    }
}
