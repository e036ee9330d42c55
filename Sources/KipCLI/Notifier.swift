import Foundation
import KipCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `--notify URL` / `KIP_NOTIFY_URL`: the result document `-o json` prints, POSTed after
/// a promotion, a rollback, gc and a failed `--wait`, for a chat hook or a deploy log. A
/// notification that cannot be delivered is a warning, never a failed command; the URL
/// is said without its credentials or query.
enum Notifier {
    static let commands: Set<[String]> = [["app", "promote"], ["app", "rollback"], ["project", "gc"]]
    static let attempts = 3
    static let requestTimeout: TimeInterval = 10

    static func url(_ ctx: Context) -> String? {
        (ctx.globals.value("notify") ?? ctx.env["KIP_NOTIFY_URL"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether this command line notifies, having succeeded or `failed`.
    static func due(_ inv: Invocation, failed: Bool) -> Bool {
        commands.contains(inv.command) || (failed && inv.has("wait"))
    }

    static func notify(_ ctx: Context, failed: Bool, error: KipError? = nil) {
        guard let raw = url(ctx), !ctx.dryRun, due(ctx.globals, failed: failed) else { return }
        guard let u = URL(string: raw), ["http", "https"].contains(u.scheme?.lowercased() ?? ""), u.host != nil
        else {
            ctx.printer.warning("--notify needs an http(s) URL: nothing was sent")
            return
        }
        var doc = Kip.document(ctx, error: error) ?? [:]
        doc["command"] = .string((["kip"] + ctx.globals.command).joined(separator: " "))
        if let why = post(Data(doc.serialized().utf8), to: u) {
            ctx.printer.warning("notification to \(redacted(u)) failed: \(why)")
        }
    }

    /// `scheme://host[:port]/path`: no user, password or query (where tokens live).
    static func redacted(_ u: URL) -> String {
        var c = URLComponents()
        c.scheme = u.scheme
        c.host = u.host
        c.port = u.port
        c.path = u.path
        return c.string ?? "the --notify URL"
    }

    /// POSTs `body`; nil when delivered (2xx), else why not after the last try. A refused
    /// request (4xx) is not tried again; a connection failure or 5xx is, with a pause.
    static func post(_ body: Data, to u: URL) -> String? {
        var why = ""
        for n in 0..<attempts {
            if n > 0 { Thread.sleep(forTimeInterval: 0.5 * Double(n)) }
            var request = URLRequest(url: u, timeoutInterval: requestTimeout)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("kip", forHTTPHeaderField: "User-Agent")
            request.httpBody = body
            let (status, error) = send(request)
            if let status, (200..<300).contains(status) { return nil }
            if let status {
                why = "HTTP \(status)"
                if status < 500 { return why }
            } else {
                why = error ?? "no answer"
            }
        }
        return why + " (\(attempts) tries)"
    }

    static func send(_ request: URLRequest) -> (status: Int?, error: String?) {
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable {
            var status: Int?
            var error: String?
        }
        let box = Box()
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode
            box.error = error?.localizedDescription
            done.signal()
        }
        task.resume()
        done.wait()
        return (box.status, box.error)
    }
}
