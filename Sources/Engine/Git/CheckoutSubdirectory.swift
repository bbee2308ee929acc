import Foundation

/// The `:SUBDIR` of a git URL inside a fresh checkout, resolved on disk. A repository is
/// attacker-controlled: a committed symlink (`link -> /etc`, or `a -> ..` on the way down)
/// would otherwise make the context or `ADD` read the host's files. The path is resolved with
/// every symlink followed and must stay inside the checkout.
public enum CheckoutSubdirectory {
    public enum Failure: Error, Equatable {
        /// The path does not name a directory of the commit.
        case missing
        /// The path resolves (through symlinks or `..`) to a place outside the checkout.
        case escapes(resolved: String)
    }

    /// The real path of `subdirectory` in `checkout`; throws when it is missing or leaves it.
    public static func resolve(_ subdirectory: String, in checkout: String) throws(Failure) -> String {
        guard let root = realPath(checkout), let resolved = realPath(checkout + "/" + subdirectory) else {
            throw .missing
        }
        guard resolved == root || resolved.hasPrefix(root + "/") else { throw .escapes(resolved: resolved) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missing
        }
        return resolved
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
