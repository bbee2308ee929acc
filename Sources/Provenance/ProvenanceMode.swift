/// How much a provenance tells, as buildx's `mode=` says.
///
/// BuildKit's `min` leaves out build-arg values, secret and ssh ids and the build's steps (and
/// marks its parameters incomplete); `max` has all of them. Ours follows it, and `max` adds what
/// only a journal knows: every reachable file of every local context, cache-mount states and
/// each step's layer.
public enum ProvenanceMode: String, Sendable, Hashable, Codable, CaseIterable {
    case min
    case max
}
