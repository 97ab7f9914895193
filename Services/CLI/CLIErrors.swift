import SpasmErrors

/// The CLI's own error codes (`SpasmError`, as everywhere): each is a sentence the person reads.
extension SpasmError.Code {
    /// A diary command's failure: one line on stderr, exit 2 (`reportingDiary`).
    static let diary = SpasmError.Code("cli.diary")
    /// A `sensors` command's failure: one line on stderr, exit 1 (`reportingSensors`).
    static let sensors = SpasmError.Code("cli.sensors")
    /// `setup caregiver` cannot read or change the rules file.
    static let caregiverSetup = SpasmError.Code("cli.caregiver-setup")
    /// The person ended an interview (end of input).
    static let interviewCancelled = SpasmError.Code("cli.interview-cancelled")
    /// Storage refused some of this run's messages, with its reasons (exit status non-zero).
    static let refusedByStorage = SpasmError.Code("cli.refused-by-storage")
}
