import ArgumentParser

/// `--progress`, as buildx spells it.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, plain, tty, rawjson, quiet

    /// `auto` is `tty` on a terminal and `plain` elsewhere, as in buildx.
    func resolved(stderrIsTTY: Bool) -> ProgressMode {
        guard self == .auto else { return self }
        return stderrIsTTY ? .tty : .plain
    }
}
