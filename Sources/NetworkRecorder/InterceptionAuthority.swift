#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import SwiftASN1
import X509

/// The journal's own certificate authority, with which the recorder intercepts HTTPS: every
/// CONNECT is answered with a certificate for the requested host signed by it, so the step's
/// TLS ends at the recorder, which records the plain exchange and makes its own TLS connection
/// to the origin. Generated once per journal (P-256), kept beside the journal (key 0600); steps
/// see only the certificate, through a mount that never reaches the layer.
public final class InterceptionAuthority: Sendable {
    public let certificatePEM: String
    private let certificate: Certificate
    private let key: P256.Signing.PrivateKey
    private let issued = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    /// Loads the authority from `directory` (`ca.pem`, `ca-key.pem`), making it first if absent.
    /// Kept for the process: its leaf certificates and TLS contexts, made per host on first use,
    /// serve every later step of the build (and every build of a long-lived process).
    public static func loadOrCreate(in directory: String) throws -> InterceptionAuthority {
        if let known = loaded.withLockedValue({ $0[directory] }) { return known }
        // One thread of the process at a time makes it: a build loads it ahead on a thread of its
        // own while a step may ask for it, and two makers would write the same temporary files.
        return try creating.withLock {
            if let known = loaded.withLockedValue({ $0[directory] }) { return known }
            let authority = try loadOrCreateUncached(in: directory)
            loaded.withLockedValue { $0[directory] = authority }
            return authority
        }
    }

    private static let loaded = NIOLockedValueBox<[String: InterceptionAuthority]>([:])
    private static let creating = NIOLock()

    private static func loadOrCreateUncached(in directory: String) throws -> InterceptionAuthority {
        let certificatePath = directory + "/ca.pem"
        let keyPath = directory + "/ca-key.pem"
        if let certificate = try? String(contentsOfFile: certificatePath, encoding: .utf8),
           let key = try? String(contentsOfFile: keyPath, encoding: .utf8) {
            return try InterceptionAuthority(certificatePEM: certificate, keyPEM: key)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let authority = try InterceptionAuthority()
        let temporaryKey = keyPath + ".tmp-\(getpid())"
        _ = FileManager.default.createFile(atPath: temporaryKey, contents: Data(authority.key.pemRepresentation.utf8),
                                       attributes: [.posixPermissions: 0o600])
        try Data(authority.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificatePath + ".tmp-\(getpid())"))
        // The key first: a certificate is only ever found beside its key.
        rename(temporaryKey, keyPath)
        rename(certificatePath + ".tmp-\(getpid())", certificatePath)
        return try loadOrCreateUncached(in: directory)
    }

    /// A new authority, valid for ten years.
    public convenience init() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Reprise")
            CommonName("Reprise network recorder CA")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-86400), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        try self.init(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    init(certificatePEM: String, keyPEM: String) throws {
        self.certificatePEM = certificatePEM
        certificate = try Certificate(pemEncoded: certificatePEM)
        key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
    }

    /// A TLS server context presenting a certificate for `host` (a name or an IP address),
    /// made on first use and kept.
    func serverContext(for host: String) throws -> NIOSSLContext {
        if let known = issued.withLockedValue({ $0[host] }) { return known }
        let leafKey = P256.Signing.PrivateKey()
        let now = Date()
        let alternativeName: GeneralName
        if let address = Self.addressBytes(host) {
            alternativeName = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address)))
        } else {
            alternativeName = .dnsName(host)
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-86400), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(String(host.prefix(64))) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([alternativeName])
            },
            issuerPrivateKey: .init(key))
        let chain = try [leaf, certificate].map { certificate in
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return NIOSSLCertificateSource.certificate(try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der))
        }
        let privateKey = try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        configuration.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: configuration)
        issued.withLockedValue { $0[host] = context }
        return context
    }

    /// The bytes of an IPv4 or IPv6 address literal, nil for a name.
    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
