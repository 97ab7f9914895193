import Foundation
import SpasmErrors
import SpasmNotify
import SpasmSchema

/// Adds or updates a caregiver in the rules file's JSON, keeping everything else in it
/// (other receivers, routes, settings, and keys this version does not know): the
/// caregiver's channel is set, and the caregiver joins the route that takes falls, after
/// the person (and any caregiver already there), so a fall nobody answers reaches them.
struct CaregiverRules {
    /// The whole file as JSON objects.
    private(set) var tree: [String: Any]
    /// What changed, for the summary.
    private(set) var changes: [String] = []

    /// Starts from the file's content, or from the standard rules when there is no file.
    init(fileContent: Data?, person: String) throws {
        if let fileContent {
            guard let object = try? JSONSerialization.jsonObject(with: fileContent) as? [String: Any] else {
                throw SpasmError(.caregiverSetup, "it is not a JSON object")
            }
            tree = object
        } else {
            let standard = try JSONSerialization.jsonObject(with: JSONEncoder().encode(NotifyRules.standard(person: person)))
            tree = standard as? [String: Any] ?? [:]
            changes.append("started from the standard rules (the person on the console and logs/notifications.jsonl)")
        }
    }

    /// The rules as notify reads them (fails the way notify would).
    func rules() throws -> NotifyRules {
        let data = try JSONSerialization.data(withJSONObject: tree)
        do {
            return try JSONDecoder().decode(NotifyRules.self, from: data)
        } catch {
            throw SpasmError(.caregiverSetup, WireCodec.describe(error))
        }
    }

    /// The file's bytes: pretty, keys sorted, a newline at the end.
    func fileContent() throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: tree, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// The person the alerts are about: the receiver marked `isPerson`, else the configured person.
    static func personName(in rules: NotifyRules, configured: String) -> String {
        rules.receivers.first { $0.isPerson == true }?.name ?? configured
    }

    /// Sets `name`'s channels to `channel` (adding the receiver when it is new) and puts it
    /// last into the route falls take; `escalateAfter` (seconds, the wait between the
    /// route's steps) on that route.
    mutating func setCaregiver(_ name: String, channel: [String: Any], escalateAfter: Double?, person: String) throws {
        let current = try rules()
        if name == person || current.receiver(named: name)?.isPerson == true {
            throw SpasmError(.caregiverSetup, "'\(name)' is the person the alerts are about; a caregiver is someone else")
        }
        var receivers = tree["receivers"] as? [[String: Any]] ?? []
        if let index = current.receivers.firstIndex(where: { $0.name == name }), index < receivers.count {
            receivers[index]["channels"] = [channel]
            changes.append("\(name)'s channels replaced")
        } else {
            receivers.append(["name": name, "channels": [channel]])
            changes.append("\(name) added as a receiver")
        }
        tree["receivers"] = receivers

        var routes = tree["routes"] as? [[String: Any]] ?? []
        let fallRoute = current.routes.firstIndex { Self.takesFalls($0, person: person) }
        if let index = fallRoute, index < routes.count, Self.isForCriticalAlerts(current.routes[index]) {
            var route = routes[index]
            var names = current.routes[index].receivers
            if !names.contains(name) {
                names.append(name)  // after the person and the caregivers already there
                changes.append("\(name) added to route \(index + 1), the one falls take")
            }
            route["receivers"] = names
            if let escalateAfter { route["escalateAfterSeconds"] = escalateAfter }
            routes[index] = route
        } else {
            // The route that takes falls now also takes everything else (or none does):
            // a route of its own for critical alerts goes before it.
            var names = [person]
            if let index = fallRoute {
                for other in current.routes[index].receivers where !names.contains(other) && other != name { names.append(other) }
            }
            names.append(name)
            var route: [String: Any] = ["match": ["severities": [AlertSeverity.critical.rawValue]], "receivers": names]
            if let escalateAfter { route["escalateAfterSeconds"] = escalateAfter }
            let at = fallRoute ?? routes.count
            routes.insert(route, at: at)
            changes.append("a route for critical alerts (falls) added as route \(at + 1): \(names.joined(separator: ", ")), one after another")
        }
        tree["routes"] = routes
    }

    /// True when every fall of the person (any site, any time) matches the route.
    static func takesFalls(_ route: NotifyRules.Route, person: String) -> Bool {
        guard let match = route.match else { return true }
        if let kinds = match.kinds, !kinds.contains("fall") { return false }
        if let severities = match.severities, !severities.contains(.critical) { return false }
        if let persons = match.persons, !persons.contains(person) { return false }
        return match.sites == nil && match.between == nil
    }

    /// A route meant for falls or critical alerts, rather than one that takes everything.
    static func isForCriticalAlerts(_ route: NotifyRules.Route) -> Bool {
        guard let match = route.match else { return false }
        return match.kinds != nil || match.severities != nil || match.minSeverity == .critical
    }
}
