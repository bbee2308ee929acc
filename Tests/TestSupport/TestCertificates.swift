import Foundation

/// A test CA and a server certificate for an IP address, made with openssl (P-256, two days).
public enum TestCertificates {
    /// Writes `test-ca.pem`, `server.pem` and `server.key` into `directory`.
    public static func make(for address: String, in directory: String) throws -> (ca: String, certificate: String, key: String) {
        let ca = directory + "/test-ca.pem", caKey = directory + "/test-ca.key"
        let certificate = directory + "/server.pem", key = directory + "/server.key"
        let request = directory + "/server.csr", extensions = directory + "/server.ext"
        try Tool.check(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=reprise test origin CA"])
        try Tool.check(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", request, "-subj", "/CN=\(address)"])
        try "subjectAltName=IP:\(address)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try Tool.check(["openssl", "x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial",
                        "-out", certificate, "-days", "2", "-extfile", extensions])
        return (ca, certificate, key)
    }
}
