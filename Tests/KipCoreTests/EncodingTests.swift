import KipCore
import XCTest

final class EncodingTests: XCTestCase {
    func testJSONRoundTripKeepsTypesAndEscapes() throws {
        let text = #"{"a":[1,-2,3.5,true,false,null],"b":{"c":"x\"y\\z\n\u00e9\ud83d\ude00"},"e":{},"f":[]}"#
        let v = try JSON.parse(text)
        XCTAssertEqual(v["a"], [1, -2, .double(3.5), true, false, nil])
        XCTAssertEqual(v.at("b", "c")?.stringValue, "x\"y\\z\né😀")
        XCTAssertEqual(try JSON.parse(v.serialized()), v)
        XCTAssertEqual(try JSON.parse(v.serialized(pretty: true)), v)
    }

    func testJSONSerialisationSortsKeys() {
        let v: JSON = ["b": 1, "a": ["d": "x", "c": "/path"]]
        XCTAssertEqual(v.serialized(), #"{"a":{"c":"/path","d":"x"},"b":1}"#)
    }

    func testJSONRejectsGarbageWithOffset() {
        XCTAssertThrowsError(try JSON.parse("{\"a\": tru}")) { e in
            XCTAssertEqual((e as? JSONParseError)?.offset, 6)
        }
        XCTAssertThrowsError(try JSON.parse("[1,2] x"))
        XCTAssertThrowsError(try JSON.parse("\"unterminated"))
    }

    func testYAMLEmitterQuotesEveryStringAndParsesBack() throws {
        let v: JSON = [
            "metadata": ["name": "no", "labels": ["app.kubernetes.io/managed-by": "kip"]],
            "spec": [
                "replicas": 2, "env": [["name": "A", "value": "1e2"], ["name": "B", "value": "on"]], "empty": [:],
                "list": [],
            ],
        ]
        let y = YAML.emit(v)
        XCTAssertEqual(
            y,
            """
            metadata:
              labels:
                app.kubernetes.io/managed-by: "kip"
              name: "no"
            spec:
              empty: {}
              env:
                - name: "A"
                  value: "1e2"
                - name: "B"
                  value: "on"
              list: []
              replicas: 2

            """)
        XCTAssertEqual(try MiniYAML.parse(y), v)
    }

    func testYAMLParserReadsHandWrittenForms() throws {
        let text = """
            # a comment
            apiVersion: v1
            kind: Config
            current-context: kind-a   # trailing comment
            clusters:
            - name: a
              cluster:
                server: 'http://127.0.0.1:1'
            users: []
            flag: true
            """
        let v = try MiniYAML.parse(text)
        XCTAssertEqual(v["current-context"], "kind-a")
        XCTAssertEqual(v.at("clusters")?.arrayValue?.first?.at("cluster", "server"), "http://127.0.0.1:1")
        XCTAssertEqual(v["users"], [])
        XCTAssertEqual(v["flag"], true)
        XCTAssertThrowsError(try MiniYAML.parse("a: &anchor x"))
        XCTAssertThrowsError(try MiniYAML.parse("a: 1\na: 2"))
    }
}
