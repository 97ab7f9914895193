import Foundation
import HTTPTypes
import Hummingbird
import SpasmConfig
import SpasmQR
import SpasmTLS

/// `/trust`: how a phone comes to trust this hub's HTTPS (docs/https.md). The page offers
/// the home's CA certificate (`/trust/ca.crt`, DER, and `/trust/ca.pem`, both
/// `application/x-x509-ca-cert`), short steps for iOS and Android, and a QR code of its own
/// address with the page token, so a second phone only scans it. The certificate files are
/// public (a CA certificate holds no secret) and need no token: a phone's download manager
/// may not carry the page's cookie.
struct TrustPage: Sendable {
    let files: TLSFiles
    /// The page token (empty on loopback), put in the QR code's address.
    let token: String
    /// `manual.publicURL` when usable, else the address is made from the request's Host.
    let publicBase: String?
    let scheme: String

    static let path = "/trust"
    static let certificatePaths: Set<String> = ["/trust/ca.crt", "/trust/ca.pem"]

    func add(to router: Router<BasicRequestContext>) {
        router.get("/trust") { request, _ -> Response in self.page(host: request.head.authority ?? "localhost") }
        router.get("/trust/ca.crt") { _, _ -> Response in self.certificate(der: true) }
        router.get("/trust/ca.pem") { _, _ -> Response in self.certificate(der: false) }
    }

    func certificate(der: Bool) -> Response {
        guard let ca = HomeCertificates.authorityCertificate(files) else {
            return Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "this home has no certificate authority yet: run `spasmwatch tls init`\n")))
        }
        let bytes = der ? ca.der : Array(ca.pem.utf8)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/x-x509-ca-cert", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"spasmwatch-home-ca.\(der ? "crt" : "pem")\"",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func page(host: String) -> Response {
        let base = publicBase ?? "\(scheme)://\(host)"
        let address =
            base + Self.path + (token.isEmpty ? "" : "?token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token))
        let qr = QRCode(address)?.svg() ?? "<p>(the address is too long for a QR code)</p>"
        let ca = HomeCertificates.authorityCertificate(files)
        let caName = ca.map { Self.escape($0.subject) } ?? ""
        let state: String
        if ca == nil {
            state =
                "<p class=warn>This home has no certificate authority yet. On the hub run <code>spasmwatch tls init</code>, then restart the services.</p>"
        } else if scheme == "https" {
            state =
                "<p>This page came over HTTPS. If your browser warned you on the way here, this phone does not trust the hub yet: follow the steps below once.</p>"
        } else {
            state =
                "<p class=warn>This page came over plain HTTP (the diary listens on loopback only). Phones reach it once <code>manual.httpHost</code> is set; it then serves HTTPS.</p>"
        }
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Trust this hub · SpasmWatch</title>
            <style>body{font:17px/1.45 system-ui,sans-serif;margin:0 auto;max-width:40em;padding:1em}h1{font-size:1.4em}
            .warn{background:#fff3cd;padding:.6em;border-radius:6px}a.button{display:inline-block;padding:.6em 1em;margin:.2em 0;border-radius:8px;background:#1d4ed8;color:#fff;text-decoration:none}
            ol li{margin:.3em 0}figure{margin:1em 0;text-align:center}code{background:#eee;padding:0 .2em}</style></head><body>
            <h1>Trust this hub on a phone</h1>
            \(state)
            <p>The hub made its own certificate authority (<b>\(caName)</b>). It can vouch only for this hub's own names and addresses.</p>
            <h2>iPhone or iPad</h2>
            <ol><li>Open this page in Safari and tap <a class=button href="/trust/ca.crt">Download the certificate</a>, then <b>Allow</b>.</li>
            <li>Settings &gt; General &gt; VPN &amp; Device Management: tap the SpasmWatch profile, then <b>Install</b>.</li>
            <li>Settings &gt; General &gt; About &gt; Certificate Trust Settings: turn on full trust for <b>SpasmWatch home CA</b>.</li>
            <li>Open the diary again: no warning any more.</li></ol>
            <h2>Android</h2>
            <ol><li>Tap <a class=button href="/trust/ca.crt">Download the certificate</a>.</li>
            <li>Settings &gt; Security &amp; privacy &gt; More security settings &gt; Encryption &amp; credentials &gt; Install a certificate &gt; <b>CA certificate</b> &gt; Install anyway, and choose the downloaded file.</li>
            <li>Open the diary again in Chrome.</li></ol>
            <p>A computer: <a href="/trust/ca.pem">the certificate as PEM</a>.</p>
            <h2>Another phone</h2>
            <p>Scan this code with the other phone's camera: it opens this page, with the diary's token, on that phone. Show it only to people who may use the diary.</p>
            <figure>\(qr)<figcaption><small>\(Self.escape(base + Self.path))</small></figcaption></figure>
            <p><a href="/">Back to the diary</a></p>
            </body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .referrerPolicy: "no-referrer",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
