#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Crypto
import Foundation

/// Secrets are never stored. What the journal keeps is an HMAC of the value under a key that
/// exists only in this journal (mode 0600), so a replay can tell whether it was handed the same
/// secret without the journal ever being able to reveal it, and a digest cannot be matched
/// against a guessed value without the key.
extension Journal {
    public func keyedDigest(ofSecret value: Data) throws -> String {
        let key = try secretKey()
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: key)
        return "hmac-sha256:" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Names this journal's key without revealing it, so a record can say which key made its
    /// digests.
    public func secretKeyFingerprint() throws -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("reprise secret key fingerprint".utf8), using: try secretKey())
        return "key-" + mac.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    private func secretKey() throws -> SymmetricKey {
        let path = root + "/secret.key"
        if !FileIO.exists(path) {
            let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            // O_EXCL: when two builds create it at once, one key wins and both use it.
            if let fd = try? FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) {
                defer { close(fd) }
                try fresh.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
                guard fsync(fd) == 0 else { throw SystemCallError("fsync", path: path) }
            }
        }
        var data = try FileIO.readFile(path)
        // A reader may race the creator's write: wait briefly for the full key.
        var attempts = 0
        while data.count < 32 && attempts < 50 {
            usleep(10_000)
            data = try FileIO.readFile(path)
            attempts += 1
        }
        return SymmetricKey(data: data)
    }
}
