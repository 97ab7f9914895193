import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime

/// What a device with this key needs: the server key, where to connect, its own pair.
func describeKey(_ key: AllowedKey, home: DataHome, configuration: Configuration) throws -> String {
    let endpoints = Endpoints(home: home, configuration: configuration)
    let server = try BusSecurity.serverPublicKey(home: home)
    let secret = (try? String(contentsOf: KeyAllowlist.issuedSecret(home: home, name: key.name), encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
    var connect: [String]
    switch key.role {
    case .producer: connect = ["producer endpoint (REQ, frames)  \(endpoints.sensorProducers)"]
    case .consumer: connect = ["bus subscribe (SUB)              \(endpoints.busSubscribe)"]
    case .service:
        connect = [
            "bus publish (PUB)                \(endpoints.busPublish)",
            "bus subscribe (SUB)              \(endpoints.busSubscribe)",
            "producer endpoint (REQ, frames)  \(endpoints.sensorProducers)",
        ]
    }
    var lines = [
        "key:                 \(key.name) (\(key.role.rawValue))",
        "server public key:   \(server)",
    ]
    lines += connect.map { "connect to:          \($0)" }
    if key.role == .producer {
        lines.append(
            "may send sensors:    \(KeyAllowlist.boundSensors(home: home, name: key.name).joined(separator: ", ")) (frames for any other sensor id are refused)"
        )
    } else if key.role == .service {
        lines.append("may send:            frames for any sensor id; on the bus, envelopes with source '\(key.name)' or '\(key.name)-…' only")
    }
    lines += [
        "public key:          \(key.publicKey)",
        "secret key:          \(secret ?? "(not kept here: this key was not made by `spasmwatch keys new`)")",
    ]
    if !endpoints.usesCurve {
        lines.append("note: bus.transport is \(configuration.bus.transport); keys apply only with bus.transport=tcp")
    }
    return lines.joined(separator: "\n")
}
