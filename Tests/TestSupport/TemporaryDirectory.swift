import Foundation

/// A fresh directory under /tmp, removed when the test is done with it.
public final class TemporaryDirectory {
    public let path: String

    public init(_ label: String = "test") throws {
        let template = "/tmp/reprise-\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let result = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: result)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func sub(_ name: String) -> String { path + "/" + name }
}
