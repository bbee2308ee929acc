/// A key file that could not be written or read, by path.
struct KeyFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }
}
