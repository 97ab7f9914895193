import Foundation
import HTTPTypes
import Hummingbird
import SpasmBus
import SpasmConfig
import SpasmDiary
import SpasmErrors
import SpasmSchema
import SpasmSecurity

/// The alerts' action links, `/act/<token>` (a per-alert capability, see
/// Shared/Security): they need no page token and do only what the token says.
///
/// - `GET` (and `HEAD`) shows a small confirm page: the alert, when, for whom, who the link
///   was sent to, and one button. It never acts, so link previewers and prefetchers
///   cannot stop an escalation.
/// - `POST` acts: "I'm OK" sends an `Acknowledgement` with `by` = the receiver the link was
///   sent to ("anna"); "I need help" sends a `HelpRequest`.
/// - An expired, forged or cut-short link: a page saying so, 403, counted
///   (`actions.refused.<reason>`).
///
/// Answers carry `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, and the
/// token is never logged.
struct ActionPages: Sendable {
    let key: ActionKey
    let desk: DiaryDesk
    let board: EpisodeBoard
    let counters: CounterSet
    let clock: HomeClock
    let person: String

    func add(to router: Router<BasicRequestContext>) {
        router.get("/act/{token}") { _, context -> Response in
            await self.confirm(context.parameters.get("token") ?? "")
        }
        router.head("/act/{token}") { _, context -> Response in
            var response = await self.confirm(context.parameters.get("token") ?? "")
            response.body = .init()
            return response
        }
        router.post("/act/{token}") { _, context -> Response in
            await self.act(context.parameters.get("token") ?? "")
        }
    }

    /// True for the one path shape the page token does not guard: `/act/<token>`.
    static func isCapabilityPath(_ path: String) -> Bool {
        guard path.hasPrefix(ActionLinks.pathPrefix) else { return false }
        return ActionKey.looksLikeToken(path.dropFirst(ActionLinks.pathPrefix.count))
    }

    func verify(_ token: String) -> Result<ActionCapability, SpasmError> {
        do throws(SpasmError) {
            return .success(try key.verify(token, now: Date().timeIntervalSince1970))
        } catch {
            counters.add("actions.refused.\(error.reason)")
            return .failure(error)
        }
    }

    func confirm(_ token: String) async -> Response {
        let capability: ActionCapability
        switch verify(token) {
        case .success(let c): capability = c
        case .failure(let error): return refused(error)
        }
        counters.add("actions.viewed")
        let known = await board.alert(capability.alertId)
        var body = describe(capability, known.alert)
        if let by = known.answeredBy, let at = known.answeredAt {
            body += "<p class=\"done\">Already answered by \(Self.escape(by)) at \(clock.describe(at)). Nothing more is needed.</p>"
            if capability.action == .ok { return Self.page("Already answered", body) }
        }
        if capability.action == .help, let by = known.helpAskedBy {
            body += "<p class=\"done\">\(Self.escape(by)) has already asked for help: everyone was told.</p>"
            return Self.page("Help was asked for", body)
        }
        // The person says "I'm OK"; a caregiver says it is dealt with (both acknowledge).
        let okLabel = capability.receiver == person ? "I'm OK — tell everyone" : "Dealt with — tell everyone"
        let button =
            capability.action == .ok
            ? "<button class=\"ok\">\(okLabel)</button>"
            : "<button class=\"help\">I need help — tell everyone now</button>"
        body += "<form method=\"post\">\(button)</form><p class=\"meta\">Nothing happens until you press the button.</p>"
        return Self.page(capability.action == .ok ? "Is everything OK?" : "Ask for help now?", body)
    }

    func act(_ token: String) async -> Response {
        let capability: ActionCapability
        switch verify(token) {
        case .success(let c): capability = c
        case .failure(let error): return refused(error)
        }
        let id = capability.alertId.uuidString
        let who = Self.escape(Self.capitalized(capability.receiver))
        switch capability.action {
        case .ok:
            if case .failure(let error) = await desk.acknowledge(alert: id, falseAlarm: false, via: "link", by: capability.receiver) {
                return Self.page("Not saved", "<p>\(Self.escape(error.message)). Try again, or call someone.</p>", status: .internalServerError)
            }
            counters.add("actions.ok")
            return Self.page("Thank you", "<p>Everyone else is told that \(who) answered. The alert is closed.</p>")
        case .help:
            if case .failure(let error) = await desk.requestHelp(alert: id, via: "link", by: capability.receiver) {
                return Self.page("Not saved", "<p>\(Self.escape(error.message)). Call someone now.</p>", status: .internalServerError)
            }
            counters.add("actions.help")
            return Self.page(
                "Help is being asked for",
                "<p>Everyone on the list is being told now that \(who) asked for help.</p>"
                    + "<p>If you can, call someone too.</p>")
        }
    }

    func describe(_ capability: ActionCapability, _ alert: Alert?) -> String {
        let meta = "link sent to \(Self.escape(capability.receiver)) · works until \(clock.describe(capability.expiresAt))"
        guard let alert else {
            return "<p>Alert \(ShortId.of(capability.alertId)) for \(Self.escape(person)).</p><p class=\"meta\">\(meta)</p>"
        }
        return "<h2>\(Self.escape(alert.title))</h2><p>\(Self.escape(alert.message))</p>"
            + "<p class=\"meta\">\(clock.describe(alert.at)) · for \(Self.escape(person)) · \(meta)</p>"
    }

    func refused(_ error: SpasmError) -> Response {
        Self.page(
            "This link does not work",
            "<p>\(Self.escape(error.description))</p><p>Nothing was changed. If someone may need help, call them, or open the SpasmWatch page.</p>",
            status: .forbidden)
    }

    static func page(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
            <meta name="robots" content="noindex"><title>SpasmWatch: \(escape(title))</title>
            <style>body{margin:0;font:18px/1.4 system-ui,sans-serif;color:#17202a;background:#eef2f6}
            main{max-width:520px;margin:0 auto;padding:16px}h1{font-size:24px}h2{font-size:20px;margin:0 0 6px}
            .meta{color:#5b6670;font-size:15px}.done{font-weight:600}
            button{width:100%;min-height:72px;border:0;border-radius:14px;color:#fff;font:inherit;font-size:22px;font-weight:700}
            .ok{background:#1e7d46}.help{background:#b3261e}</style></head>
            <body><main><h1>\(escape(title))</h1>\(body)</main></body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .referrerPolicy: "no-referrer", .xRobotsTag: "noindex",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xRobotsTag = Self("X-Robots-Tag")!
}
