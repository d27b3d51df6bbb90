/// The OpenAPI 3.1 document of the governance API: `openapi/parmana.openapi.json`,
/// embedded in the binary as a SwiftPM resource.
public enum OpenAPIDocument {
    public static let json = String(decoding: PackageResources.parmana_openapi_json, as: UTF8.self)
}
