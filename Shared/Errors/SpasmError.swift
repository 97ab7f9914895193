import Foundation

/// The one error SpasmWatch throws, in the shape of ServiceLifecycle's `ServiceGroupError`:
/// a `code` that callers match on, and the sentence a person reads (`description`): what is
/// wrong and what is allowed or what to do, never raw Foundation text on its own.
///
/// Each module names its codes in an extension of `SpasmError.Code` (e.g. `.zeroMQ`,
/// `.schemaMalformed`, `.configuration`) and matches with
/// `catch let error as SpasmError where error.code == .x`. A code made with
/// `settingProblem: true` marks a bad setting: services stop with exit status 2 on it and the
/// CLI likewise. Data a caller needs besides the sentence travels beside it: `detail` (the
/// field, the reason a peer gave) and `errorNumber` (errno of a failed system or libzmq call).
public struct SpasmError: Error, Hashable, Sendable, CustomStringConvertible, LocalizedError {
    /// What kind of failure this is; compared by name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, e.g. `zeromq`, `schema.malformed`, `refusal.topic`.
        public let name: String
        /// A bad setting (configuration, rules, certificates): services exit 2 on it.
        public let isSettingProblem: Bool

        public init(_ name: String, settingProblem: Bool = false) {
            self.name = name
            self.isSettingProblem = settingProblem
        }

        public var description: String { name }
    }

    public let code: Code
    /// The sentence a person reads.
    public let message: String
    /// The part a caller routes on, when there is one (a field's name, a peer's reason).
    public let detail: String?
    /// errno of the failed call, when the failure is a system or libzmq call's.
    public let errorNumber: Int32?

    public init(_ code: Code, _ message: String, detail: String? = nil, errorNumber: Int32? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.errorNumber = errorNumber
    }

    public var description: String { message }
    /// The last part of the code's name (`forged` of `capability.forged`): counters' suffixes.
    public var reason: String { code.name.split(separator: ".").last.map(String.init) ?? code.name }
    /// So `localizedDescription` is the sentence too.
    public var errorDescription: String? { message }
}
