import Frontend

/// Why a build stopped, worded for the person at the terminal: each names the Dockerfile line
/// when there is one, and says what to do about it where that is known.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    /// The Dockerfile did not parse or plan; the diagnostics say where.
    case dockerfile(path: String, diagnostics: [Diagnostic], rendered: String)
    case baseImageNotFound(name: String, location: SourceLocation)
    /// A registry image (`FROM host/repo:tag`, `docker-image://`) that could not be pulled.
    case pullFailed(name: String, location: SourceLocation?, reason: String)
    case stepFailed(step: String, location: SourceLocation, status: String, outputTail: [String])
    case copySourceNotFound(path: String, location: SourceLocation)
    case invalidInstruction(message: String, location: SourceLocation)
    case missingSecret(id: String, location: SourceLocation)
    case unsupported(message: String, location: SourceLocation?)

    public var description: String {
        switch self {
        case .dockerfile(_, _, let rendered):
            return rendered
        case .baseImageNotFound(let name, let location):
            return """
                \(location): base image '\(name)' not found: there is no registry here. Provide it with \
                --build-context \(name)=oci-layout:///PATH[:TAG], or import it first with \
                'reprise image import PATH --name \(name)'
                """
        case .pullFailed(let name, let location, let reason):
            return (location.map { "\($0): " } ?? "") + "cannot pull '\(name)': \(reason). Use --insecure-registry, "
                + "--registry-ca or --registry-config to reach the registry, or provide the image with "
                + "--build-context \(name)=oci-layout:///PATH[:TAG]"
        case .stepFailed(let step, let location, let status, let tail):
            var text = "\(location): step '\(step)' failed: \(status)"
            if !tail.isEmpty {
                text += "\n--- last lines of its output ---\n" + tail.joined(separator: "\n")
            }
            return text
        case .copySourceNotFound(let path, let location):
            return "\(location): COPY source '\(path)' not found in its context"
        case .invalidInstruction(let message, let location):
            return "\(location): \(message)"
        case .missingSecret(let id, let location):
            return "\(location): secret '\(id)' is required but was not given; pass --secret id=\(id),src=PATH"
        case .unsupported(let message, let location):
            return (location.map { "\($0): " } ?? "") + message
        }
    }
}
