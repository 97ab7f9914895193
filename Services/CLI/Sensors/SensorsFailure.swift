import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

extension SpasmError {
    /// Runs `body`, printing a `.sensors` failure as one line on stderr, exit 1.
    static func reportingSensors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as SpasmError where failure.code == .sensors {
            FileHandle.standardError.write(Data("spasmwatch: \(failure.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
