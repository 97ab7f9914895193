import ArgumentParser
import Foundation
import SpasmConfig
import SpasmRuntime
import SpasmSchema

struct SensorsFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }

    /// Prints the failure as one line on stderr, exit 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as SensorsFailure {
            FileHandle.standardError.write(Data("spasmwatch: \(failure.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
