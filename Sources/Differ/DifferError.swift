/// Why a comparison could not be made. Each names the input or file at fault.
public enum DifferError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input does not exist or is not something the differ knows.
    case unknownInput(String, reason: String)
    /// A file or archive could not be read.
    case unreadable(String, reason: String)
    /// The two inputs are of kinds that cannot be compared (an image with a single layer).
    case incomparable(String, String)
    /// A journal build has no image (it failed before the end).
    case buildWithoutImage(String)

    public var description: String {
        switch self {
        case .unknownInput(let input, let reason): return "\(input): \(reason)"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .incomparable(let a, let b): return "cannot compare \(a) with \(b): one is an image, the other is not"
        case .buildWithoutImage(let id): return "build \(id) produced no image (it did not finish)"
        }
    }
}
