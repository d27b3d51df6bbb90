import Foundation
import ParmanaCore
import ParmanaHTTP
import ParmanaTesting
import Testing

/// The OpenAPI document in the repo, what the server serves, and the router agree.
@Suite struct OpenAPIDocumentTests {
    static var document: JSONValue {
        get throws { try JSONParser().parse(Array(OpenAPIDocument.json.utf8)) }
    }

    /// "METHOD /path" for every operation of the document.
    static func documentedRoutes() throws -> [String: String?] {
        var out: [String: String?] = [:]
        guard case .object(let paths)? = try document["paths"] else { return out }
        for (path, item) in paths.members {
            guard case .object(let ops) = item else { continue }
            for (method, op) in ops.members {
                out["\(method.uppercased()) \(path)"] = op["x-parmana-role"]?.stringValue
            }
        }
        return out
    }

    @Test func embeddedDocumentIsTheFileInTheRepo() throws {
        let file = try String(contentsOfFile: RepoPaths.root + "/openapi/parmana.openapi.json", encoding: .utf8)
        #expect(file == OpenAPIDocument.json, "the served document is the resource file openapi/parmana.openapi.json")
        #expect(try Self.document["openapi"] == "3.1.0")
    }

    @Test func routerAndDocumentListTheSameRoutes() async throws {
        let f = try await APIFixture()
        let served = Set(f.api.router().routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try Self.documentedRoutes()
        #expect(served == Set(documented.keys))
        #expect(served == Set(GovernanceAPI.routeRoles.keys))
        for (route, role) in GovernanceAPI.routeRoles {
            #expect(documented[route] == .some(role?.rawValue), "\(route): the document's x-parmana-role")
        }
    }
}
