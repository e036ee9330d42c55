import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Preview environments: made from a stage, fed by promotion from a named stage, outside
/// the pipeline's order, removed by gc when CI no longer keeps them.
final class PreviewE2ETests: XCTestCase {
    func testAPreviewIsOutsideThePipeline() throws {
        let c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc,prod").code, 0)
        XCTAssertEqual(c.kip("app deploy --name web --image r/web:1 --port 80 --project shop/test --wait").code, 0)
        let add = c.kip("project add-env shop pr-7 --preview --copy-from test")
        XCTAssertEqual(add.code, 0, "\(add)")
        let list = c.kip("project list")
        XCTAssertTrue(list.stdout.contains("pr-7 (preview)"), list.stdout)
        let json = try JSON.parse(Data(c.kip("project list -o json").stdout.utf8))
        let envs = json.arrayValue?.first?["environments"]?.arrayValue ?? []
        XCTAssertEqual(envs.first { $0["name"] == "pr-7" }?["preview"], true)
        XCTAssertEqual(c.kip("app set-image web r/web:2 --project shop/test --wait").code, 0)
        // Into a preview: the source is named, never guessed from the order.
        let guessed = c.kip("app promote web --to pr-7 --project shop --yes")
        XCTAssertEqual(guessed.code, 1, "\(guessed)")
        XCTAssertTrue(guessed.stderr.contains("pr-7 is a preview environment, outside the pipeline"), guessed.stderr)
        let promoted = c.kip("app promote web --from test --to pr-7 --project shop --yes")
        XCTAssertEqual(promoted.code, 0, "\(promoted)")
        let pr = try c.kubectlJSON(["get", "apps.kipper.run", "web", "-n", "shop-pr-7"])
        XCTAssertEqual(pr.at("spec", "image"), "r/web:2")
        // The pipeline goes on as if the preview were not there.
        XCTAssertEqual(c.kip("app promote --all --to acc --project shop --yes").code, 0)
        let status = c.kip("project status shop")
        XCTAssertEqual(status.code, 0, "\(status)")
        XCTAssertFalse(status.stdout.contains("pr-7 behind"), status.stdout)
        let out = c.kip("app promote --all --from pr-7 --to prod --project shop --yes")
        XCTAssertEqual(out.code, 1, "\(out)")
        XCTAssertTrue(out.stderr.contains("pass --force"), out.stderr)
        // CI keeps the previews of open pull requests only.
        let gc = c.kip("project gc shop --keep-only pr-9")
        XCTAssertEqual(gc.code, 0, "\(gc)")
        XCTAssertTrue(gc.stdout.contains("removed shop/pr-7"), gc.stdout)
        let p = try c.kubectlJSON(["get", "projects.kipper.run", "shop"])
        XCTAssertEqual(
            p.at("spec", "environments")?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["test", "acc", "prod"])
        let missing = c.kip("project gc --keep-only pr-9")
        XCTAssertEqual(missing.code, 2, "\(missing)")
    }
}
