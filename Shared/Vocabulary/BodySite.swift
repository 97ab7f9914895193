import Foundation

/// Where on the body a sensor sits, a spasm was felt, or an alert is about (BRIEF §4):
/// one shared list for sensor placement, the diary and alert routing.
/// On the wire as kebab-case text: "left-calf", "right-upper-arm", "back", "both-legs".
public enum BodySite: String, Codable, Sendable, CaseIterable, Hashable {
    case leftFoot = "left-foot", rightFoot = "right-foot"
    case leftAnkle = "left-ankle", rightAnkle = "right-ankle"
    case leftCalf = "left-calf", rightCalf = "right-calf"
    case leftShin = "left-shin", rightShin = "right-shin"
    case leftThigh = "left-thigh", rightThigh = "right-thigh"
    case leftQuadriceps = "left-quadriceps", rightQuadriceps = "right-quadriceps"
    case leftHamstring = "left-hamstring", rightHamstring = "right-hamstring"
    case leftHip = "left-hip", rightHip = "right-hip"
    case leftHand = "left-hand", rightHand = "right-hand"
    case leftWrist = "left-wrist", rightWrist = "right-wrist"
    case leftForearm = "left-forearm", rightForearm = "right-forearm"
    case leftUpperArm = "left-upper-arm", rightUpperArm = "right-upper-arm"
    case leftShoulder = "left-shoulder", rightShoulder = "right-shoulder"
    case back, abdomen, neck
    case leftLeg = "left-leg", rightLeg = "right-leg"
    case leftArm = "left-arm", rightArm = "right-arm"
    case bothLegs = "both-legs"

    /// Words a person reads: "left calf".
    public var displayName: String { rawValue.replacingOccurrences(of: "-", with: " ") }

    /// The whole limb this site belongs to ("left-leg" for "left-calf"), for grouping alerts.
    public var limb: BodySite? {
        let name = rawValue
        let legParts = ["foot", "ankle", "calf", "shin", "thigh", "quadriceps", "hamstring", "hip", "leg"]
        let armParts = ["hand", "wrist", "forearm", "upper-arm", "shoulder", "arm"]
        for side in ["left", "right"] where name.hasPrefix(side + "-") {
            let part = String(name.dropFirst(side.count + 1))
            if legParts.contains(part) { return BodySite(rawValue: side + "-leg") }
            if armParts.contains(part) { return BodySite(rawValue: side + "-arm") }
        }
        return self == .bothLegs ? .bothLegs : nil
    }

    /// Accepts "left-calf", "left calf", "Left_Calf", "left_calf".
    public init?(parsing text: String) {
        self.init(rawValue: Self.normalized(text))
    }

    /// The site a person most likely meant by `text` when it is none ("left-cafl", "lfet calf"
    /// → left-calf), for "did you mean …?"; nil when no site is close enough (`Spelling`).
    public static func closest(to text: String) -> BodySite? {
        Spelling.closest(to: normalized(text), among: allCases.map(\.rawValue)).flatMap(BodySite.init(rawValue:))
    }

    /// The one sentence for text that is no site, wherever a site is typed (diary, sensor
    /// placement, `sensors move`, `replay --placement`): "'left-clf' is not a body site (did
    /// you mean left-calf?); allowed: …". `quote` renders what was typed (callers that echo
    /// input pass `EchoText.quoted`).
    public static func notASite(_ text: String, quote: (String) -> String = { "'\($0)'" }) -> String {
        let guess = closest(to: text).map { " (did you mean \($0.rawValue)?)" } ?? ""
        return "\(quote(text)) is not a body site\(guess); allowed: \(allowedList)"
    }

    static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
    }

    /// All values, for error messages: "left-foot, right-foot, …".
    public static var allowedList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
