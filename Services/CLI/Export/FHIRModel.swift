import Foundation

// The few FHIR R4 datatypes and resources `spasmwatch export --format fhir` writes, as Encodable
// structs: nil fields are left out, and the encoder sorts keys, so the same records give the same bytes.
// Field names are FHIR's (https://hl7.org/fhir/R4/).

enum FHIR {
    struct Coding: Encodable, Equatable {
        var system: String
        var code: String
        var display: String?
    }

    struct CodeableConcept: Encodable, Equatable {
        var coding: [Coding]?
        var text: String?
    }

    struct Identifier: Encodable, Equatable {
        var system: String
        var value: String
    }

    /// A logical reference (by identifier): the clinic maps the person to its own Patient.
    struct Reference: Encodable, Equatable {
        var type: String?
        var identifier: Identifier?
        var display: String?
    }

    struct Period: Encodable, Equatable {
        var start: String?
        var end: String?
    }

    /// `system` and `code` only when the unit is UCUM.
    struct Quantity: Encodable, Equatable {
        var value: Double
        var unit: String
        var system: String?
        var code: String?

        static func ucum(_ value: Double, _ code: String) -> Quantity {
            Quantity(value: value, unit: code, system: "http://unitsofmeasure.org", code: code)
        }
    }

    struct Annotation: Encodable, Equatable {
        var text: String
    }

    struct ObservationComponent: Encodable, Equatable {
        var code: CodeableConcept
        var valueInteger: Int?
        var valueQuantity: Quantity?
        var valueCodeableConcept: CodeableConcept?
        var valueBoolean: Bool?
        var valueString: String?
    }

    struct Observation: Encodable, Equatable {
        let resourceType = "Observation"
        var id: String
        var identifier: [Identifier]
        /// "final", or "preliminary" for an episode still open.
        var status: String
        var category: [CodeableConcept]
        var code: CodeableConcept
        var subject: Reference
        var effectiveDateTime: String?
        var effectivePeriod: Period?
        var issued: String?
        var valueInteger: Int?
        var valueQuantity: Quantity?
        var valueCodeableConcept: CodeableConcept?
        var bodySite: CodeableConcept?
        var method: CodeableConcept?
        var device: Reference?
        var component: [ObservationComponent]?
        var note: [Annotation]?
    }

    struct DoseAndRate: Encodable, Equatable {
        var doseQuantity: Quantity
    }

    struct Dosage: Encodable, Equatable {
        var text: String
        var asNeededBoolean: Bool?
        var doseAndRate: [DoseAndRate]?
    }

    struct MedicationStatement: Encodable, Equatable {
        let resourceType = "MedicationStatement"
        var id: String
        var identifier: [Identifier]
        /// "active", "completed" or "stopped".
        var status: String
        var category: CodeableConcept?
        var medicationCodeableConcept: CodeableConcept
        var subject: Reference
        var effectiveDateTime: String?
        var effectivePeriod: Period?
        var dateAsserted: String?
        var dosage: [Dosage]?
        var note: [Annotation]?
    }

    enum Resource: Encodable, Equatable {
        case observation(Observation)
        case medicationStatement(MedicationStatement)

        var id: String {
            switch self {
            case .observation(let o): o.id
            case .medicationStatement(let m): m.id
            }
        }

        func encode(to encoder: Encoder) throws {
            switch self {
            case .observation(let o): try o.encode(to: encoder)
            case .medicationStatement(let m): try m.encode(to: encoder)
            }
        }
    }

    struct BundleEntry: Encodable, Equatable {
        var resource: Resource
    }

    struct Bundle: Encodable, Equatable {
        let resourceType = "Bundle"
        var type = "collection"
        var entry: [BundleEntry]
    }
}
