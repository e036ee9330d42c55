import Foundation
import KipCore
import KipTestSupport
import XCTest

@testable import KipSandbox

/// kip-sandbox answers discovery and OpenAPI as a 1.30+ API server does, so kubectl's
/// caches behave here as against a real cluster: one aggregated answer for `/api` and
/// `/apis`, hashed OpenAPI documents kept for good, an `ETag` on the rest.
final class DiscoveryCachingTests: XCTestCase {
    static let aggregated =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    func request(_ api: APIServer, _ path: String, query: [String: String] = [:], _ headers: [String: String] = [:])
        -> HTTPResponse
    {
        let raw = query.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return api.handle(
            HTTPRequest(method: "GET", path: path, query: query, rawQuery: raw, headers: headers, body: Data()))
    }

    func header(_ r: HTTPResponse, _ name: String) -> String? {
        r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func testAggregatedDiscoveryListsEveryResourceInOneAnswer() throws {
        let api = APIServer()
        let apis = request(api, "/apis", ["accept": Self.aggregated])
        XCTAssertEqual(apis.status, 200)
        XCTAssertEqual(apis.contentType, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
        let doc = try JSON.parse(apis.body)
        XCTAssertEqual(doc["kind"], "APIGroupDiscoveryList")
        XCTAssertEqual(doc["apiVersion"], "apidiscovery.k8s.io/v2")
        let apps = doc["items"]?.arrayValue?.first { $0.at("metadata", "name") == "apps" }
        let v1 = apps?["versions"]?.arrayValue?.first
        XCTAssertEqual(v1?["version"], "v1")
        let deployments = v1?["resources"]?.arrayValue?.first { $0["resource"] == "deployments" }
        XCTAssertEqual(deployments?["scope"], "Namespaced")
        XCTAssertEqual(deployments?.at("responseKind", "kind"), "Deployment")
        XCTAssertEqual(deployments?["shortNames"], ["deploy"])
        let scale = deployments?["subresources"]?.arrayValue?.first { $0["subresource"] == "scale" }
        XCTAssertEqual(scale?.at("responseKind", "group"), "autoscaling")

        let core = try JSON.parse(request(api, "/api", ["accept": Self.aggregated]).body)
        let coreResources = core["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?.arrayValue
        XCTAssertTrue(coreResources?.contains { $0["resource"] == "namespaces" && $0["scope"] == "Cluster" } ?? false)

        // Without the aggregated type in Accept: the legacy documents.
        XCTAssertEqual(try JSON.parse(request(api, "/apis").body)["kind"], "APIGroupList")
        // A client that has the answer gets a 304.
        let etag = try XCTUnwrap(header(apis, "ETag"))
        XCTAssertEqual(request(api, "/apis", ["accept": Self.aggregated, "if-none-match": etag]).status, 304)
    }

    func testHashedOpenAPIDocumentsAreImmutableAndAStaleHashIsRedirected() throws {
        let api = APIServer()
        let root = try JSON.parse(request(api, "/openapi/v3").body)
        let url = try XCTUnwrap(root.at("paths", "apis/apps/v1", "serverRelativeURL")?.stringValue)
        let hash = String(url.split(separator: "=").last ?? "")
        let doc = request(api, "/openapi/v3/apis/apps/v1", query: ["hash": hash])
        XCTAssertEqual(doc.status, 200)
        XCTAssertEqual(header(doc, "Cache-Control"), "public, immutable")
        XCTAssertNotNil(header(doc, "Expires"))
        XCTAssertEqual(header(doc, "ETag"), "\"\(hash)\"")
        let stale = request(api, "/openapi/v3/apis/apps/v1", query: ["hash": "0000"])
        XCTAssertEqual(stale.status, 301)
        XCTAssertEqual(header(stale, "Location"), url)
        let unhashed = request(api, "/openapi/v3/apis/apps/v1")
        XCTAssertNil(header(unhashed, "Cache-Control"), "revalidated: the server's no-cache default")
        XCTAssertEqual(request(api, "/openapi/v3/apis/apps/v1", ["if-none-match": "\"\(hash)\""]).status, 304)
    }

    /// The real kubectl, twice, on a warm cache: no group-version discovery requests and
    /// no OpenAPI document fetched again; a CRD created at run time is discovered.
    func testKubectlOnAWarmCacheMakesNoDiscoveryOrOpenAPIRequests() throws {
        let c = try E2ECluster(self, options: [], sandboxOnly: true)
        let deployment =
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"x"}]}}}}"#
        let apply = ["apply", "--server-side", "--field-manager=test", "-f", "-"]
        XCTAssertEqual(c.kubectl(["api-resources"]).code, 0)
        XCTAssertEqual(c.kubectl(apply, stdin: deployment).code, 0)
        let before = c.requests().count
        XCTAssertEqual(c.kubectl(apply, stdin: deployment.replacingOccurrences(of: "\"x\"", with: "\"y\"")).code, 0)
        XCTAssertEqual(c.kubectl(["get", "deployments,services", "-n", "default"]).code, 0)
        let warm = c.requests().dropFirst(before).compactMap { $0["path"]?.stringValue }
        let groupVersions = warm.filter {
            $0 == "/api/v1" || ($0.hasPrefix("/apis/") && $0.split(separator: "/").count == 3)
        }
        XCTAssertEqual(groupVersions, [], "no per-group-version discovery on a warm cache")
        XCTAssertEqual(warm.filter { $0.hasPrefix("/openapi/v3/") }, [], "hashed documents come from the cache")

        XCTAssertEqual(c.kubectl(apply, stdin: KubectlAgainstSandboxTests.crd).code, 0)
        let deadline = Date().addingTimeInterval(10)
        while c.kubectl(["get", "widgets.v1.example.com"]).code != 0, Date() < deadline { usleep(50_000) }
        XCTAssertEqual(c.kubectl(["get", "widgets.v1.example.com"]).code, 0, "the new CRD is discovered")
    }
}
