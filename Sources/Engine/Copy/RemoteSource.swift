import ContentStore
import Foundation
import LayerArchive
import Registry

/// `ADD <url>`: the file is fetched on the host (RUN steps have no network; this is the one
/// place a build reaches out), checked against `--checksum` when given, and stored, so a replay
/// has it without the network.
struct RemoteSource {
    let store: BlobStore

    struct Fetched {
        var entry: TreeEntry
        var url: String
        /// Whether the time is the server's Last-Modified rather than the build's clock.
        var datedByServer = false
    }

    enum Failure: Error, CustomStringConvertible {
        case notAllowed(String)
        case http(String, Int)
        case transport(String, String)
        case checksum(String, expected: String, actual: String)

        var description: String {
            switch self {
            case .notAllowed(let url):
                return "ADD \(url): fetching needs --checksum=sha256:… (pinning the content) or --network=host"
            case .http(let url, let status):
                return "ADD \(url): the server answered HTTP \(status)"
            case .transport(let url, let reason):
                return "ADD \(url): \(reason)"
            case .checksum(let url, let expected, let actual):
                return "ADD \(url): content is \(actual), not the --checksum \(expected)"
            }
        }
    }

    static func isURL(_ text: String) -> Bool {
        text.hasPrefix("http://") || text.hasPrefix("https://")
    }

    /// Fetches `url` as a file entry named by the URL's last path component.
    func fetch(_ url: String, checksum: String?, networkAllowed: Bool, mtime: Int64) async throws -> Fetched {
        guard networkAllowed || checksum != nil else { throw Failure.notAllowed(url) }
        guard let address = URL(string: url) else { throw Failure.transport(url, "not a valid URL") }
        let location = NSTemporaryDirectory() + "reprise-add-" + UUID().uuidString
        defer { unlink(location) }
        let response: URLDownload.Response
        do {
            response = try await URLDownload.fetch(url, into: location)
        } catch let failure as URLDownload.Failure {
            throw Failure.transport(url, failure.description)
        }
        guard (200..<300).contains(response.status) else { throw Failure.http(url, response.status) }
        let committed = try store.ingest(fileAt: location)
        if let checksum, checksum != committed.digest.description {
            throw Failure.checksum(url, expected: checksum, actual: committed.digest.description)
        }
        var modified = mtime
        var dated = false
        if let header = response.lastModified, let date = Self.httpDate(header) {
            modified = Int64(date.timeIntervalSince1970) * 1_000_000_000
            dated = true
        }
        let name = address.lastPathComponent.isEmpty || address.lastPathComponent == "/"
            ? "index.html" : address.lastPathComponent
        // Docker gives downloaded files mode 0600.
        return Fetched(entry: TreeEntry(path: name, kind: .file, mode: 0o600, size: committed.size,
                                        mtime: modified, digest: committed.digest), url: url,
                       datedByServer: dated)
    }

    /// The file entry for a body the network recorder fetched (or served from the record).
    func fetched(url: String, body: Digest, size: Int64, lastModified: String?, mtime: Int64) -> Fetched {
        var modified = mtime
        var dated = false
        if let lastModified, let date = Self.httpDate(lastModified) {
            modified = Int64(date.timeIntervalSince1970) * 1_000_000_000
            dated = true
        }
        let address = URL(string: url)
        let last = address?.lastPathComponent ?? ""
        let name = last.isEmpty || last == "/" ? "index.html" : last
        return Fetched(entry: TreeEntry(path: name, kind: .file, mode: 0o600, size: size, mtime: modified, digest: body),
                       url: url, datedByServer: dated)
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
