/// Build arguments BuildKit gives a meaning without an ARG line, by the names the engine reads.
enum PredefinedBuildArguments {
    /// Proxy settings: a RUN sees them, nothing records them.
    static let proxies = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                          "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]
    /// The hostname RUN steps see instead of the fixed default.
    static let sandboxHostname = "BUILDKIT_SANDBOX_HOSTNAME"
    /// A prefix for every cache mount id of the build.
    static let cacheMountNamespace = "BUILDKIT_CACHE_MOUNT_NS"
}
