import NIOSSL
import ParmanaCore

/// The server's TLS identity from PEM files (`tls_cert`: the certificate chain, leaf
/// first; `tls_key`: its private key), for Hummingbird's TLS server on swift-nio-ssl.
public enum TLSFiles {
    /// A server TLS configuration (TLS 1.2 minimum). Unreadable or mismatched files are
    /// `invalid_config`, naming the file.
    public static func serverConfiguration(certificatePath: String, keyPath: String) throws(ParmanaError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificatePath) } catch {
            throw ParmanaError(.invalidConfig, "tls_cert \(certificatePath) is not a readable PEM certificate chain: \(error)")
        }
        guard !chain.isEmpty else { throw ParmanaError(.invalidConfig, "tls_cert \(certificatePath) holds no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
            throw ParmanaError(.invalidConfig, "tls_key \(keyPath) is not a readable PEM private key: \(error)")
        }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        // A key that does not belong to the certificate fails here, at start, not on the first handshake.
        do { _ = try NIOSSLContext(configuration: config) } catch {
            throw ParmanaError(.invalidConfig, "tls_cert and tls_key do not make a usable TLS identity: \(error)")
        }
        return config
    }
}
