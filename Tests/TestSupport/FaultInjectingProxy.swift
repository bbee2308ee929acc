#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small HTTP proxy (Python's http.server) between a client and a loopback registry that
/// spoils chosen responses: the Nth blob download truncated, corrupted, answered 500 or stalled;
/// blob uploads answered 500; or every request made to go through a Bearer token challenge.
/// Faults are consumed in order by the requests they apply to; `*` repeats the last forever.
public final class FaultInjectingProxy: @unchecked Sendable {
    public enum Fault: String, Sendable {
        /// Blob GET: half the body, then the connection closes.
        case truncate
        /// Blob GET: one byte flipped, full length.
        case corrupt
        /// Blob GET: 500 without asking the registry.
        case error500
        /// Blob GET: half the body, a 6 s pause, the rest.
        case stall
        /// Blob upload (PUT or PATCH): 500 without asking the registry.
        case upload500
        /// Blob GET: 307 to the same blob through `localhost` (another origin than `127.0.0.1`),
        /// where a request that still carries an Authorization header is refused.
        case redirect
        /// Blob GET: 429 with Retry-After: 0.
        case tooMany = "429"
    }

    public let host: String
    public let port: Int
    private let process: Process
    private let directory: TemporaryDirectory

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts a proxy to `upstreamPort` that applies `faults` in order (`repeatLast`: the last
    /// one forever); `bearer` demands a token from its own `/token` endpoint first; `referrersAPI`
    /// adds the OCI referrers API the registry behind lacks (manifests with a `subject` are
    /// answered with `OCI-Subject` and listed at `/v2/NAME/referrers/DIGEST`).
    public init(upstreamPort: Int, faults: [Fault], repeatLast: Bool = false, bearer: Bool = false,
                referrersAPI: Bool = false) throws {
        directory = try TemporaryDirectory("fault-proxy")
        let script = directory.sub("proxy.py")
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        var spec = faults.map(\.rawValue).joined(separator: ",")
        if repeatLast { spec += "*" }
        for _ in 0..<5 {
            let port = try LoopbackRegistry.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, String(port), String(upstreamPort), spec.isEmpty ? "-" : spec,
                                 bearer ? "bearer" : "open", referrersAPI ? "referrers" : "-"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var ready = false
            for _ in 0..<100 where process.isRunning {
                if LoopbackRegistry.canConnect(port) { ready = true; break }
                usleep(30_000)
            }
            if ready {
                self.process = process
                self.port = port
                self.host = "127.0.0.1:\(port)"
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        throw LoopbackRegistryFailure(reason: "the fault-injecting proxy did not start")
    }

    static let source = #"""
import http.server, http.client, socketserver, sys, threading, time, json, re, hashlib, urllib.parse

port, upstream = int(sys.argv[1]), int(sys.argv[2])
spec = sys.argv[3]
bearer = sys.argv[4] == "bearer"
referrers_api = sys.argv[5] == "referrers"
referrers = {}
repeat = spec.endswith("*")
faults = [f for f in spec.rstrip("*").split(",") if f and f != "-"]
lock = threading.Lock()
TOKEN = "proxy-token-42"

def take(kinds):
    with lock:
        if faults and faults[0] in kinds:
            if repeat and len(faults) == 1:
                return faults[0]
            return faults.pop(0)
    return None

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if bearer and self.path.startswith("/token"):
            return self.reply(200, json.dumps({"token": TOKEN}).encode(), [("Content-Type", "application/json")])
        if self.path.startswith("/elsewhere/"):
            if self.headers.get("Authorization"):
                return self.reply(400, b'{"errors":[{"code":"DENIED","message":"credentials sent to another origin"}]}')
            self.path = self.path[len("/elsewhere"):]
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            conn.request("GET", self.path)
            resp = conn.getresponse()
            return self.reply(resp.status, resp.read(), [(k, v) for k, v in resp.getheaders()
                              if k.lower() not in ("content-length", "transfer-encoding", "connection", "date")])
        if bearer and self.path.startswith("/v2/") and self.headers.get("Authorization") != "Bearer " + TOKEN:
            m = re.match(r"/v2/(.+?)/(manifests|blobs|tags|referrers)/", self.path)
            scope = ' ,scope="repository:%s:pull,push"' % m.group(1) if m else ""
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="proxy"%s' % (port, scope.replace(" ,", ","))
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}',
                              [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
        listing = re.match(r"/v2/(.+?)/referrers/(sha256:[0-9a-f]{64})", self.path)
        if referrers_api and listing and self.command == "GET":
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            with lock:
                found = list(referrers.get((listing.group(1), listing.group(2)), []))
            if "artifactType" in query:
                found = [d for d in found if d.get("artifactType") == query["artifactType"][0]]
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}
            return self.reply(200, json.dumps(index).encode(), [("Content-Type", "application/vnd.oci.image.index.v1+json")])
        is_blob_get = self.command == "GET" and "/blobs/sha256:" in self.path
        is_upload = self.command in ("PUT", "PATCH") and "/blobs/uploads/" in self.path
        fault = None
        if is_blob_get:
            fault = take(("truncate", "corrupt", "error500", "stall", "429", "redirect"))
        elif is_upload:
            fault = take(("upload500",))
        if fault in ("error500", "upload500"):
            return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}',
                              [("Content-Type", "application/json")])
        if fault == "redirect":
            return self.reply(307, b"", [("Location", "http://localhost:%d/elsewhere%s" % (port, self.path))])
        if fault == "429":
            return self.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                              [("Retry-After", "0")])
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "authorization")}
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        conn.request(self.command, self.path, body, headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        out = [(k, v) for k, v in resp.getheaders()
               if k.lower() not in ("content-length", "transfer-encoding", "connection", "date")]
        pushed = re.match(r"/v2/(.+?)/manifests/", self.path)
        if referrers_api and pushed and self.command == "PUT" and resp.status == 201:
            document = json.loads(body)
            if "subject" in document:
                descriptor = {"mediaType": document.get("mediaType", ""), "size": len(body),
                              "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                              "artifactType": document.get("artifactType") or document["config"]["mediaType"]}
                if document.get("annotations"):
                    descriptor["annotations"] = document["annotations"]
                with lock:
                    referrers.setdefault((pushed.group(1), document["subject"]["digest"]), []).append(descriptor)
                out.append(("OCI-Subject", document["subject"]["digest"]))
        if resp.status != 200 or not is_blob_get:
            return self.reply(resp.status, data, out)
        if fault == "corrupt" and data:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        self.send_response(200)
        for k, v in out:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        half = len(data) // 2
        if fault == "truncate":
            self.wfile.write(data[:half])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "stall":
            self.wfile.write(data[:half])
            self.wfile.flush()
            time.sleep(6)
            data = data[half:]
            try:
                self.wfile.write(data)
            except OSError:
                pass
            return
        self.wfile.write(data)
    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

Server(("127.0.0.1", port), Handler).serve_forever()
"""#
}
