import SpasmResources

/// The "Wear this phone" screen (`GET /wear`): choose where the phone is worn, one tap to
/// start (motion permission on iOS, a screen wake lock), then it streams its accelerometer
/// to `/wear/socket` (`WearRoutes`, `WearStreams`). It shows "Connected, 59 Hz, 0 lost", the
/// last episode detected from this phone, a stop button, and the list of every device,
/// each of which can be renamed or moved. docs/devices.md explains it for the person.
///
/// While the socket is down (a Wi-Fi blip) the page keeps every batch (up to 10 minutes) and
/// sends them again, oldest first, one at a time, each until the server acknowledges it.
enum WearPage {
    /// `Pages/wear.html` (a SwiftPM resource).
    static func html(from files: ResourceFiles = .manual) throws -> String {
        try files.text("Pages/wear.html")
    }
}
