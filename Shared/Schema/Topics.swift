/// Every topic on the bus (docs/wire-format.md is the list for humans). Topics are
/// prefixes: a subscriber to "sensor.frame." receives every sensor's frames.
public enum Topic {
    public static func sensorFrame(_ sensorId: String) -> String { "sensor.frame.\(sensorId)" }
    public static let sensorFramePrefix = "sensor.frame."
    public static let sensorRegistered = "sensor.registered"
    public static let manualEntry = "manual.entry"
    public static func episode(_ kind: String) -> String { "episode.\(kind)" }
    public static let episodePrefix = "episode."
    public static func alert(_ severity: AlertSeverity) -> String { "alert.\(severity.rawValue)" }
    public static let alertPrefix = "alert."
    public static let acknowledgement = "acknowledgement"
    /// "I need help": under `acknowledgement` so everyone who hears acknowledgements hears it.
    public static let helpRequest = "acknowledgement.help"
    public static func delivery(_ channel: String) -> String { "delivery.\(channel)" }
    public static let deliveryPrefix = "delivery."
    public static func stored(_ source: String) -> String { "stored.\(source)" }
    public static func heartbeat(_ service: String) -> String { "heartbeat.\(service)" }
    public static let heartbeatPrefix = "heartbeat."
}
