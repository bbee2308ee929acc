import BuildJournal
import ContentStore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// `ADD <url>` through the same record as RUN steps: one GET made by the recorder itself (no
/// namespace needed), recorded, or served from the record in a replay, so a recorded URL is
/// never fetched twice.
public final class URLFetcher: Sendable {
    let core: ProxyCore

    public init(mode: RecorderMode, store: BlobStore, extraTrustRoots: [String] = []) {
        core = ProxyCore(mode: mode, store: store,
                         upstream: UpstreamClient(group: MultiThreadedEventLoopGroup.singleton, extraTrustRoots: extraTrustRoots),
                         threadPool: NIOThreadPool.singleton, splicesPlainBodies: false)
    }

    /// Fetches (or serves) `url`; the returned record says what happened (a refusal or a miss
    /// is a record of kind `refused` with its reason).
    public func get(_ url: String) async throws -> FetchRecord {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host else {
            return FetchRecord(kind: .refused, method: "GET", url: url, note: "not an http or https URL")
        }
        let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var headers = HTTPHeaders()
        headers.add(name: "user-agent", value: "reprise")
        headers.add(name: "accept", value: "*/*")
        let request = ProxiedRequest(scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80),
                                     head: HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers),
                                     body: nil)
        _ = try await core.exchange(request, on: MultiThreadedEventLoopGroup.singleton.next()).get()
        let transcript = core.transcript.transcript
        return transcript.fetches.last ?? FetchRecord(kind: .refused, method: "GET", url: url, note: "nothing was fetched")
    }
}
