import Foundation

extension FlatJSON.Value {
    /// Visits the elements of an array in order (nil when this is not an array); `visit`
    /// returns false to stop. For refusal paths that must say which element is wrong.
    public func forEachElement(_ visit: (_ index: Int, _ element: FlatJSON.Value) -> Bool) -> Bool? {
        guard kind == .array else { return nil }
        var cursor = FlatJSON.Cursor(raw: raw, index: range.lowerBound + 1, end: range.upperBound - 1)
        cursor.skipSpace()
        if cursor.index == cursor.end { return true }
        var index = 0
        while true {
            cursor.skipSpace()
            guard let element = cursor.readValue(depth: 1) else { return nil }
            if !visit(index, element) { return false }
            index += 1
            cursor.skipSpace()
            guard cursor.take(UInt8(ascii: ",")) else { return true }
        }
    }
}
