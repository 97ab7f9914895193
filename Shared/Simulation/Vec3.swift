import Foundation

/// Minimal 3-vector for the generator's inner loops (Float, no SIMD dependency).
struct Vec3: Sendable, Equatable {
    var x: Float, y: Float, z: Float
    @inline(__always) init(_ x: Float, _ y: Float, _ z: Float) {
        self.x = x
        self.y = y
        self.z = z
    }
    static let zero = Vec3(0, 0, 0)
    @inline(__always) static func + (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x + b.x, a.y + b.y, a.z + b.z) }
    @inline(__always) static func - (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x - b.x, a.y - b.y, a.z - b.z) }
    @inline(__always) static func * (a: Vec3, s: Float) -> Vec3 { Vec3(a.x * s, a.y * s, a.z * s) }
    @inline(__always) func dot(_ b: Vec3) -> Float { x * b.x + y * b.y + z * b.z }
    @inline(__always) func cross(_ b: Vec3) -> Vec3 { Vec3(y * b.z - z * b.y, z * b.x - x * b.z, x * b.y - y * b.x) }
    @inline(__always) var length: Float { (x * x + y * y + z * z).squareRoot() }
    @inline(__always) var normalized: Vec3 {
        let l = length
        return l > 0 ? self * (1 / l) : Vec3(0, 0, 1)
    }
    /// A unit vector perpendicular to `self` (self assumed unit), rotated by `angle` about self.
    func perpendicular(angle: Float) -> Vec3 {
        let helper = abs(x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
        let p = cross(helper).normalized
        let q = cross(p)
        return p * _cos(angle) + q * _sin(angle)
    }
}

@inline(__always) func _cos(_ a: Float) -> Float { Foundation.cos(a) }
@inline(__always) func _sin(_ a: Float) -> Float { Foundation.sin(a) }
