#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One plain HTTP(S) GET of a URL into a file, following redirects (`ADD <url>`).
///
/// It lives here, over the HTTP package the registry client already uses, so that the
/// executable does not link FoundationNetworking: URLSession brings libcurl and about 30 more
/// shared libraries that every `reprise` process would load and relocate at start (7.5 ms of
/// CPU per process, measured with `perf stat -r 30` on a two-line program with and without it),
/// for the one step kind that fetches.
public enum URLDownload {
    public struct Response: Sendable {
        public var status: Int
        /// The `Last-Modified` header, if the server sent one.
        public var lastModified: String?
    }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case transport(String)

        public var description: String {
            switch self {
            case .transport(let reason): return reason
            }
        }
    }

    /// Fetches `url` into a new file at `path` (mode 0600); the body is written as received
    /// (no content decoding, as Docker's ADD does). A non-2xx answer is returned, not thrown,
    /// with its body discarded.
    public static func fetch(_ url: String, into path: String) async throws -> Response {
        let settings = HTTPClient.Configuration(redirectConfiguration: .follow(max: 10, allowCycles: false),
                                                timeout: .init(connect: .seconds(30), read: .seconds(120)),
                                                connectionPool: .init(), decompression: .disabled)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        do {
            let response = try await fetch(url, into: path, with: client)
            try? await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            if error is CancellationError || error is Failure { throw error }
            throw Failure.transport(HTTPTransport.explain(error))
        }
    }

    private static func fetch(_ url: String, into path: String, with client: HTTPClient) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "reprise")
        let response = try await client.execute(request, timeout: .hours(24))
        let head = Response(status: Int(response.status.code), lastModified: response.headers.first(name: "Last-Modified"))
        guard (200..<300).contains(head.status) else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            return head
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.transport("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        for try await chunk in response.body {
            try chunk.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw Failure.transport("cannot write \(path): \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
        }
        return head
    }
}
