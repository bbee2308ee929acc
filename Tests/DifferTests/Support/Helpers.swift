import DifferenceModel
import Foundation

extension DiffReport {
    /// Every node of the tree with the given name.
    func nodes(named name: String) -> [DifferenceNode] {
        var found: [DifferenceNode] = []
        root.walk { node, _ in if node.name == name { found.append(node) } }
        return found
    }

    /// The cause kinds anywhere under nodes with that name.
    func causes(of name: String) -> Set<CauseKind> {
        Set(nodes(named: name).flatMap { $0.effectiveCauses.map(\.kind) })
    }

    var allCauses: Set<CauseKind> { Set(root.effectiveCauses.map(\.kind)) }
}

/// Entry dictionaries for the layout fixture.
func file(_ path: String, _ text: String, mode: Int = 0o644, uid: Int = 0, gid: Int = 0, mtime: Int = 0) -> [String: Any] {
    ["path": path, "text": text, "mode": mode, "uid": uid, "gid": gid, "mtime": mtime]
}

func binaryFile(_ path: String, _ bytes: [UInt8], mtime: Int = 0) -> [String: Any] {
    ["path": path, "base64": Data(bytes).base64EncodedString(), "mtime": mtime]
}

func hostFile(_ path: String, from source: String) -> [String: Any] {
    ["path": path, "file": source, "mode": 0o755]
}

func directory(_ path: String, mtime: Int = 0) -> [String: Any] {
    ["path": path, "type": "dir", "mtime": mtime]
}

/// A base layer shared by most fixtures.
var baseLayer: [[String: Any]] { [directory("etc"), file("etc/os-release", "NAME=Fixture\n"), directory("bin")] }
