import CMosquitto
import Foundation
import SpasmErrors

extension SpasmError.Code {
    /// A libmosquitto call failed or the broker refused; `errorNumber` keeps the MOSQ_ERR code
    /// (or the CONNACK reason).
    public static let mqtt = SpasmError.Code("mqtt")
    /// A bad MQTT setting (URL, CA file, client id): services exit 2 on it.
    public static let mqttSetting = SpasmError.Code("mqtt.setting", settingProblem: true)
}

extension SpasmError {
    /// A libmosquitto call returned `rc` (a MOSQ_ERR value).
    static func mosquitto(_ rc: Int32, _ operation: String) -> SpasmError {
        let text = String(cString: mosquitto_strerror(rc))
        // The handshake failed: most often a certificate the client does not trust.
        let hint =
            rc == Int32(MOSQ_ERR_TLS.rawValue)
            ? " Check that mqtt.caFile (or, when it is empty, the system's CAs) holds the CA that signed the broker's certificate, and that the certificate names the host in mqtt.url."
            : ""
        return SpasmError(.mqtt, "\(operation): \(text) (libmosquitto error \(rc)).\(hint)", detail: operation, errorNumber: rc)
    }

    /// The broker answered CONNECT with a refusal (`rc` is the MQTT 3.1.1 CONNACK code).
    static func mqttRefused(_ rc: Int32, broker: String) -> SpasmError {
        var text = String(cString: mosquitto_connack_string(rc))
        while text.hasSuffix(".") { text.removeLast() }
        let hint = rc == 4 || rc == 5 ? " Check mqtt.url's user name and password, and the broker's password file and ACL." : ""
        return SpasmError(.mqtt, "The MQTT broker \(broker) refused the connection: \(text).\(hint)", detail: "connack", errorNumber: rc)
    }

    static func mqttSetting(_ message: String, detail: String) -> SpasmError {
        SpasmError(.mqttSetting, message, detail: detail)
    }
}
