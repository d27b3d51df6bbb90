/// The approver console (SPEC §19.5): static files embedded in the binary as SwiftPM
/// resources, served under `/console/` with a strict Content-Security-Policy.
public enum ConsoleAssets {
    /// `default-src 'none'`: scripts, styles and fetches from this origin only; no inline
    /// script or style, no frames, no forms posting elsewhere, no `<base>`.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// File name → (bytes, content type).
    public static let files: [String: (bytes: [UInt8], contentType: String)] = [
        "index.html": (PackageResources.index_html, "text/html; charset=utf-8"),
        "selftest.html": (PackageResources.selftest_html, "text/html; charset=utf-8"),
        "style.css": (PackageResources.style_css, "text/css; charset=utf-8"),
        "app.js": (PackageResources.app_js, "text/javascript; charset=utf-8"),
        "api.js": (PackageResources.api_js, "text/javascript; charset=utf-8"),
        "dom.js": (PackageResources.dom_js, "text/javascript; charset=utf-8"),
        "jcs.js": (PackageResources.jcs_js, "text/javascript; charset=utf-8"),
        "crypto.js": (PackageResources.crypto_js, "text/javascript; charset=utf-8"),
        "verify.js": (PackageResources.verify_js, "text/javascript; charset=utf-8"),
        "keys.js": (PackageResources.keys_js, "text/javascript; charset=utf-8"),
        "selftest.js": (PackageResources.selftest_js, "text/javascript; charset=utf-8"),
    ]

    /// The RFC 8785 vector files the self-test page runs, when a directory of them is
    /// configured (`serve --console-vectors DIR`, for tests).
    public static let vectorNames: Set<String> = [
        "arrays.input.json", "arrays.output.json", "french.input.json", "french.output.json", "structures.input.json",
        "structures.output.json", "unicode.input.json", "unicode.output.json", "numbers.txt",
    ]
}
