import KipCore
import XCTest

final class ResolverTests: XCTestCase {
    let projects = [
        Project(
            name: "yourr-name", displayName: nil,
            environments: [
                .init(name: "test", namespace: "yourr-name-test"), .init(name: "acc", namespace: "yourr-name-acc"),
                .init(name: "prod", namespace: "yourr-name-prod"),
            ]),
        Project(name: "myapp", displayName: nil, environments: [.init(name: "default", namespace: "myapp")]),
        Project(name: "shop", displayName: nil, environments: [.init(name: "prod", namespace: "labbc-shop-prod")]),
        Project(
            name: "shop-prod", displayName: nil, environments: [.init(name: "default", namespace: "labbc-shop-prod-x")]),
    ]

    func resolve(_ p: String?, _ e: String?, active: KipConfig.Active? = nil) throws -> Scope {
        try Resolver.resolve(project: p, environment: e, active: active, projects: projects)
    }

    func message(_ p: String?, _ e: String?, active: KipConfig.Active? = nil) -> String? {
        do {
            _ = try resolve(p, e, active: active)
            return nil
        } catch { return (error as? KipError)?.message }
    }

    func testExplicitFlagsInEveryForm() throws {
        XCTAssertEqual(try resolve("yourr-name", "test").namespace, "yourr-name-test")
        XCTAssertEqual(try resolve("yourr-name/acc", nil).namespace, "yourr-name-acc")
        XCTAssertEqual(
            try resolve("yourr-name-prod", nil),
            Scope(project: "yourr-name", environment: "prod", namespace: "yourr-name-prod"))
        XCTAssertEqual(try resolve("myapp", nil).namespace, "myapp")
        XCTAssertEqual(try resolve("labbc-shop-prod", nil).project, "shop")
    }

    /// A simple project that grew keeps meaning its first environment (the namespace named
    /// like the project) when no environment is named; a named one still wins.
    func testAGrownSimpleProjectMeansItsDefaultEnvironment() throws {
        let grown = [
            Project(
                name: "myapp", displayName: nil,
                environments: [
                    .init(name: "default", namespace: "myapp"), .init(name: "prod", namespace: "myapp-prod"),
                ])
        ]
        let s = try Resolver.resolve(project: "myapp", environment: nil, active: nil, projects: grown)
        XCTAssertEqual(s, Scope(project: "myapp", environment: "default", namespace: "myapp"))
        XCTAssertEqual(
            try Resolver.resolve(project: "myapp", environment: "prod", active: nil, projects: grown).namespace,
            "myapp-prod")
        XCTAssertEqual(
            try Resolver.resolve(
                project: nil, environment: nil, active: .init(project: "myapp", environment: nil), projects: grown
            ).namespace, "myapp")
    }

    /// `shop-prod` is project shop-prod and environment prod of shop: never guessed.
    func testANameWithTwoReadingsIsAnErrorNamingBoth() throws {
        XCTAssertEqual(
            message("shop-prod", nil),
            "--project shop-prod is ambiguous: project \"shop-prod\", or environment \"prod\" of project \"shop\"; say which with --project shop-prod/ENV or --project shop/prod"
        )
        XCTAssertEqual(try resolve("shop/prod", nil).namespace, "labbc-shop-prod")
        XCTAssertEqual(try resolve("shop-prod/default", nil).namespace, "labbc-shop-prod-x")
        // Known from a namespace's labels only (the other Project was not read).
        XCTAssertThrowsError(
            try Resolver.resolve(
                project: "myapp", environment: nil, active: nil, projects: projects,
                namespaceForms: [("other", "app")]))
    }

    func testExplicitFlagWinsOverActiveProject() throws {
        let active = KipConfig.Active(project: "yourr-name", environment: "test")
        XCTAssertEqual(try resolve("myapp", nil, active: active).namespace, "myapp")
        XCTAssertEqual(try resolve(nil, "prod", active: active).namespace, "yourr-name-prod")
        XCTAssertEqual(try resolve(nil, nil, active: active).namespace, "yourr-name-test")
    }

    func testDefaultNamespaceWithoutAnything() throws {
        XCTAssertEqual(try resolve(nil, nil), Scope(project: nil, environment: nil, namespace: "default"))
    }

    func testAmbiguityAndMistakes() {
        XCTAssertEqual(
            message("yourr-name", nil),
            "project \"yourr-name\" has environments test, acc, prod: pass --environment (or --project yourr-name/test)"
        )
        XCTAssertEqual(
            message("yourr-name/test", "acc"),
            "--project yourr-name/test names environment \"test\" but --environment says \"acc\": give one")
        XCTAssertEqual(
            message("yourr-name", "staging"),
            "project \"yourr-name\" has no environment \"staging\" (--project); it has: test, acc, prod")
        XCTAssertEqual(
            message("nope", nil), "project \"nope\" does not exist; projects are yourr-name, myapp, shop, shop-prod")
        XCTAssertEqual(
            message(nil, "test"),
            "--environment test needs a project: pass --project, set KIP_PROJECT, or set one with 'kip project use NAME'"
        )
        XCTAssertEqual(
            message(nil, nil, active: .init(project: "gone", environment: nil)),
            "the active project \"gone\" no longer exists: run 'kip project use NAME' or 'kip project use --clear'")
    }

    func testNamespaceFormAmbiguityListsCandidates() {
        let clash = [
            Project(name: "a-b", displayName: nil, environments: [.init(name: "c", namespace: "a-b-c")]),
            Project(name: "a", displayName: nil, environments: [.init(name: "b-c", namespace: "a-b-c")]),
        ]
        XCTAssertThrowsError(try Resolver.resolve(project: "a-b-c", environment: nil, active: nil, projects: clash)) {
            e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "--project a-b-c is ambiguous: it could be a-b/c, a/b-c; use the name/env form")
        }
    }
}
