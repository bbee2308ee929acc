/// Why a provenance or an envelope could not be made, read or checked.
public enum ProvenanceError: Error, CustomStringConvertible, Equatable {
    case noImage(build: String, status: String)
    case invalidKey(path: String, reason: String)
    case malformedEnvelope(String)
    case malformedStatement(String)

    public var description: String {
        switch self {
        case .noImage(let build, let status):
            return "build \(build) has no image (status \(status)): there is nothing to attest"
        case .invalidKey(let path, let reason):
            return "\(path): not a usable key: \(reason)"
        case .malformedEnvelope(let reason):
            return "not a DSSE envelope: \(reason)"
        case .malformedStatement(let reason):
            return "not an in-toto statement: \(reason)"
        }
    }
}
