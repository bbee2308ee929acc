#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The one place the HTTP package is used: requests in, status, headers and body bytes out, so
/// nothing above this file sees NIO types.
final class HTTPTransport: Sendable {
    enum Body: Sendable {
        case empty
        case data(Data)
        /// `length` bytes of a file from `offset`, streamed.
        case file(path: String, offset: Int64, length: Int64)
    }

    struct Head: Sendable {
        var status: Int
        var headers: [(String, String)]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// A response body, consumed once.
    struct ResponseBody: Sendable {
        fileprivate let body: HTTPClientResponse.Body

        /// The whole body, refused past `limit` bytes (manifests, tokens, error documents).
        func collect(limit: Int) async throws -> Data {
            var buffer = try await body.collect(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        }

        /// Streams the body through `consume`, chunk by chunk.
        func forEachChunk(_ consume: (UnsafeRawBufferPointer) throws -> Void) async throws {
            for try await chunk in body {
                try chunk.withUnsafeReadableBytes { try consume($0) }
            }
        }

        func discard() async {
            _ = try? await body.collect(upTo: 1 << 20)
        }
    }

    private let client: HTTPClient
    private let readTimeout: TimeAmount

    init(configuration: RegistryConfiguration) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Added to the system trust store, not replacing it.
        tls.additionalTrustRoots = configuration.additionalCertificateAuthorities.map { .file($0) }
        for path in configuration.additionalCertificateAuthorities where !FileManager.default.isReadableFile(atPath: path) {
            throw RegistryError.invalidResponse(url: path, reason: "certificate authority file cannot be read")
        }
        var settings = HTTPClient.Configuration(tlsConfiguration: tls,
                                                // RegistryClient follows redirects itself (see `send`).
                                                redirectConfiguration: .disallow,
                                                timeout: .init(connect: .seconds(10),
                                                               read: .seconds(configuration.readTimeoutSeconds)),
                                                decompression: .disabled)
        settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, configuration.parallelTransfers * 2)
        // RegistryClient retries failed requests itself, with backoff and a bounded number of
        // attempts; left on, the pool would also keep reconnecting to a refusing host until the
        // connect timeout, so that a registry that is down took ~50 s to report per reference.
        settings.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        readTimeout = .seconds(configuration.readTimeoutSeconds)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: Body = .empty,
              deadlineSeconds: Int64 = 3600) async throws -> (Head, ResponseBody) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        switch body {
        case .empty:
            if method == "PUT" || method == "POST" || method == "PATCH" { request.headers.replaceOrAdd(name: "Content-Length", value: "0") }
        case .data(let data):
            request.body = .bytes(ByteBuffer(bytes: data))
        case .file(let path, let offset, let length):
            request.body = .stream(FileChunks(path: path, offset: offset, length: length), length: .known(length))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(deadlineSeconds))
            let head = Head(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) })
            return (head, ResponseBody(body: response.body))
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.transport(url: url, reason: Self.explain(error))
        }
    }

    /// Wraps errors met while streaming a body, so callers see one error type.
    static func transportError(_ error: any Error, url: String) -> any Error {
        if error is RegistryError || error is CancellationError { return error }
        return RegistryError.transport(url: url, reason: explain(error))
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout: return "no data for too long (read timeout)"
            case .remoteConnectionClosed: return "the connection was closed early"
            case .connectTimeout: return "connection timed out"
            default: return "\(error)"
            }
        }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}
