import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime

/// `spasmwatch keys ...`: the CURVE keys of devices and services that may reach the bus or
/// the producer endpoint on tcp, each with a role (docs/plug-in-a-sensor.md).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, list, show and revoke the keys devices use on tcp (roles: producer, consumer, service).",
        subcommands: [KeysNewCommand.self, KeysListCommand.self, KeysShowCommand.self, KeysRevokeCommand.self])
}

extension KeyRole: ExpressibleByArgument {}

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
    case .service: connect = ["bus publish (PUB)                \(endpoints.busPublish)",
                              "bus subscribe (SUB)              \(endpoints.busSubscribe)",
                              "producer endpoint (REQ, frames)  \(endpoints.sensorProducers)"]
    }
    var lines = ["key:                 \(key.name) (\(key.role.rawValue))",
                 "server public key:   \(server)"]
    lines += connect.map { "connect to:          \($0)" }
    if key.role == .producer {
        lines.append("may send sensors:    \(KeyAllowlist.boundSensors(home: home, name: key.name).joined(separator: ", ")) (frames for any other sensor id are refused)")
    } else if key.role == .service {
        lines.append("may send:            frames for any sensor id; on the bus, envelopes with source '\(key.name)' or '\(key.name)-…' only")
    }
    lines += ["public key:          \(key.publicKey)",
              "secret key:          \(secret ?? "(not kept here: this key was not made by `spasmwatch keys new`)")"]
    if !endpoints.usesCurve {
        lines.append("note: bus.transport is \(configuration.bus.transport); keys apply only with bus.transport=tcp")
    }
    return lines.joined(separator: "\n")
}

struct KeysNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Make a key pair NAME with a role, allow it, and print what the device needs.")

    @OptionGroup var options: CommonOptions
    @Argument(help: "The key's name (a device or service: letters, digits, '.', '_', '-').")
    var name: String
    @Option(help: "producer (the producer endpoint only), consumer (subscribe only) or service (bus and producer endpoint).")
    var role: KeyRole = .producer
    @Option(name: .customLong("sensor"),
            help: "A sensor id this producer key may send frames for (repeat for several; default: the key's name).")
    var sensors: [String] = []

    func run() async throws {
        let (home, configuration) = try options.load()
        do {
            let (key, _) = try KeyAllowlist.issue(name: name, role: role, home: home, sensors: sensors)
            print(try describeKey(key, home: home, configuration: configuration))
        } catch let error as KeyAllowlist.KeyError {
            throw ValidationError(error.description)
        }
    }
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the allowed keys with their roles.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let (home, _) = try options.load()
        let keys = KeyAllowlist.keys(home: home)
        let flat = ((try? FileManager.default.contentsOfDirectory(atPath: KeyAllowlist.directory(home: home).path)) ?? [])
            .filter { $0.hasSuffix(".public") }
        if keys.isEmpty && flat.isEmpty { print("no keys allowed (\(KeyAllowlist.directory(home: home).path))"); return }
        let own = Set(ServiceName.all.map(ServiceName.keyName) + [SourceBinding.cliKey])
        for key in keys {
            var note = ""
            if key.role == .producer { note = "  sensors: " + KeyAllowlist.boundSensors(home: home, name: key.name).joined(separator: ", ") }
            if key.role == .service && own.contains(key.name) { note = "  (this machine's \(key.name == SourceBinding.cliKey ? "CLI" : "spasmwatch-" + key.name))" }
            print("\(key.name.padding(toLength: max(20, key.name.count), withPad: " ", startingAt: 0)) \(key.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(key.publicKey)\(note)")
        }
        for file in flat.sorted() {
            print("\(file): old flat layout; the bus moves it into services/ when it starts")
        }
    }
}

struct KeysShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print what a device needs: the server's public key, where to connect, its own keys.")

    @OptionGroup var options: CommonOptions
    @Argument var name: String

    func run() async throws {
        let (home, configuration) = try options.load()
        guard let key = KeyAllowlist.keys(home: home).first(where: { $0.name == name }) else {
            let known = KeyAllowlist.keys(home: home).map(\.name).joined(separator: ", ")
            throw ValidationError("no key named '\(name)'; known: \(known.isEmpty ? "none" : known)")
        }
        print(try describeKey(key, home: home, configuration: configuration))
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Remove a key: new connections with it are refused at once (no restart).")

    @OptionGroup var options: CommonOptions
    @Argument var name: String

    func run() async throws {
        let (home, _) = try options.load()
        do {
            let key = try KeyAllowlist.revoke(name: name, home: home)
            print("revoked \(key.name) (\(key.role.rawValue)); connections already open stay until they close")
        } catch let error as KeyAllowlist.KeyError {
            throw ValidationError(error.description)
        }
    }
}
