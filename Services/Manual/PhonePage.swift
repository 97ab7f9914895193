import Foundation
import SpasmDiaryRules
import SpasmResources
import SpasmSchema

/// The phone page, served at `/`: plain HTML, CSS and JavaScript in `Pages/phone.html`, no build step. Every
/// entry gets its id on the phone and waits in localStorage until the server answers, so a
/// lost connection loses nothing and a re-send is recognised as the same entry.
enum PhonePage {
    /// Lists the page's buttons are built from, from the shared schema, and the home's time
    /// zone (the page shows every time on the home's clock).
    static func options(timeZone: TimeZone) -> String {
        let object: [String: Any] = [
            "timeZone": timeZone.identifier,
            "sites": BodySite.allCases.map(\.rawValue),
            "commonSites": [
                "left-calf", "right-calf", "left-thigh", "right-thigh", "left-foot", "right-foot",
                "left-hand", "right-hand", "back", "both-legs",
            ],
            "types": SpasmType.allCases.map(\.rawValue),
            "units": DiaryRules.doseUnits,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The page with the lists filled in, from `Pages/phone.html` (a SwiftPM resource).
    static func html(from files: ResourceFiles = .manual, timeZone: TimeZone) throws -> String {
        try files.text("Pages/phone.html").replacingOccurrences(of: "__OPTIONS__", with: options(timeZone: timeZone))
    }
}

extension ResourceFiles {
    /// The manual service's pages (`Services/Manual/Pages`), beside its executable.
    static let manual = ResourceFiles(bundle: "SpasmWatch_spasmwatch-manual")
}
