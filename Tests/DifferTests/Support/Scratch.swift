import Foundation

/// A temporary directory for one test, removed when the test ends.
final class Scratch {
    let path: String

    init(_ name: String) throws {
        path = NSTemporaryDirectory() + "/differ-tests-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}
