import Foundation
import SpasmErrors

/// Files a target ships as a SwiftPM resource (`resources: [.copy(...)]` in Package.swift),
/// read from the `<package>_<target>.resources` folder beside the running executable. That
/// folder is where SwiftPM puts it in the build folder, and where `deploy/stack install`
/// copies it, next to the binaries in /usr/local/bin.
///
/// Not `Bundle.module`: on Linux its accessor looks beside the executable, then at the
/// absolute build folder it was compiled in, and otherwise stops the process with
/// `fatalError`. An installed copy would quietly read the build folder's files while that
/// folder exists, and crash once it is gone; here a missing folder or file is one
/// `resourceMissing` error saying which file is missing, where it was looked for and how to fix it.
public struct ResourceFiles: Sendable {
    /// The bundle's folder, e.g. `/usr/local/bin/SpasmWatch_SpasmStore.resources`.
    public let directory: URL

    /// `bundle` is the folder's name without `.resources`: `SpasmWatch_<target>`.
    public init(bundle: String, beside executable: URL = Bundle.main.bundleURL) {
        directory = executable.appendingPathComponent(bundle + ".resources")
    }

    /// The text of `path` (relative to the bundle's folder, e.g. `Pages/phone.html`).
    public func text(_ path: String) throws(SpasmError) -> String {
        let file = directory.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            let folder =
                FileManager.default.fileExists(atPath: directory.path)
                ? "the folder \(directory.path) is there but lacks it"
                : "the folder \(directory.path) is missing"
            throw SpasmError(
                .resourceMissing,
                "\(file.lastPathComponent) could not be read: \(folder). "
                    + "It belongs beside the executable; reinstall with deploy/stack install, which copies the *.resources folders next to the binaries"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpasmError(.resourceNotText, "\(file.path) is not UTF-8 text")
        }
        return text
    }
}

/// A resource file that could not be read: what is missing and where it was looked for.
extension SpasmError.Code {
    public static let resourceMissing = SpasmError.Code("resource.missing")
    public static let resourceNotText = SpasmError.Code("resource.not-text")
}
