import ContentStore

/// One thing a RUN step (or `ADD <url>`) fetched from the network through Reprise's recorder, in
/// the order the step made its requests. Bodies are blobs in the store (deduplicated); the
/// record maps the request (method, URL, the headers that select content) to the response
/// (status, headers, body digest), so a replay can serve it with no network at all.
public struct FetchRecord: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// Plain HTTP, through the proxy variables or captured transparently.
        case http
        /// HTTPS through CONNECT, intercepted with the journal's CA: recorded like HTTP.
        case https
        /// A CONNECT tunnel that was not intercepted (`--network-record=no-tls`): only the host
        /// is known, so the step cannot be replayed offline.
        case tunnel
        /// A name the step resolved through the recorder's DNS responder.
        case dns
        /// A connection the recorder refused (a host address, a non-HTTP protocol), or a request
        /// a replay could not serve because it is not in the record.
        case refused
    }

    /// A response or request header as sent, in order.
    public struct Header: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var kind: Kind
    /// GET, HEAD, POST…; CONNECT for tunnels; the query type (A, AAAA) for DNS.
    public var method: String
    /// The absolute URL (`http://host/path`, `https://host/path`); `host:port` for tunnels and
    /// refused raw connections; the name for DNS.
    public var url: String
    /// Request headers that select what the server returns (Range, Accept, Accept-Encoding…),
    /// lower-cased names: part of what a replay matches.
    public var requestHeaders: [String: String]
    public var requestBody: Digest?
    public var status: Int?
    public var responseHeaders: [Header]
    public var body: Digest?
    public var size: Int64?
    /// The addresses the name resolved to when the recorder connected (or DNS answered).
    public var addresses: [String]
    /// Why a connection was refused, or what went wrong upstream.
    public var note: String?

    public init(kind: Kind, method: String, url: String, requestHeaders: [String: String] = [:],
                requestBody: Digest? = nil, status: Int? = nil, responseHeaders: [Header] = [],
                body: Digest? = nil, size: Int64? = nil, addresses: [String] = [], note: String? = nil) {
        self.kind = kind
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.body = body
        self.size = size
        self.addresses = addresses
        self.note = note
    }

    /// What a replay matches a request on: method, URL and the content-selecting headers that
    /// change the bytes (a byte range).
    public var replayKey: String {
        [method, url, requestHeaders["range"] ?? ""].joined(separator: " ")
    }

    /// Whether a replay can serve this exchange from the record.
    public var isServable: Bool { (kind == .http || kind == .https) && body != nil }
}
