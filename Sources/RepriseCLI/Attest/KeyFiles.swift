import Foundation
import Provenance

/// Reading and writing key files.
enum KeyFiles {
    /// Creates `path` with `mode` from the start (O_EXCL), so a private key is never readable by
    /// others, not even for the instant between a write and a chmod.
    static func writeNew(_ path: String, _ data: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // The umask may have narrowed the mode; it must not widen it, and fchmod makes it exact.
        guard fchmod(fd, mode) == 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
    }

    static func signingKey(at path: String) throws -> SigningKey {
        do {
            return try SigningKey(pemRepresentation: try text(at: path))
        } catch ProvenanceError.invalidKey(_, let reason) {
            throw ProvenanceError.invalidKey(path: path, reason: reason)
        }
    }

    static func verificationKey(at path: String) throws -> VerificationKey {
        do {
            return try VerificationKey(pemRepresentation: try text(at: path))
        } catch ProvenanceError.invalidKey(_, let reason) {
            throw ProvenanceError.invalidKey(path: path, reason: reason)
        }
    }

    private static func text(at path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(path: path, reason: "cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
