import CQREncode

/// A QR code of a short text (a URL), made by Debian's libqrencode, drawn as SVG.
public struct QRCode: Sendable, Equatable {
    /// Modules per side.
    public let size: Int
    /// Row-major, `size * size`, true = dark.
    public let modules: [Bool]

    /// Nil when the text does not fit a QR code (about 2 kB at error level M).
    public init?(_ text: String) {
        guard let code = text.withCString({ QRcode_encodeString($0, 0, QR_ECLEVEL_M, QR_MODE_8, 1) }) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        // libqrencode: bit 0 of each byte is the module's colour (1 = dark).
        modules = (0..<(width * width)).map { code.pointee.data[$0] & 1 == 1 }
    }

    public func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

    /// An SVG of the code with a 4-module quiet zone, one path of unit squares, `pixels` wide.
    public func svg(pixels: Int = 240) -> String {
        let side = size + 8
        var path = ""
        for row in 0..<size {
            for column in 0..<size where isDark(row: row, column: column) {
                path += "M\(column + 4) \(row + 4)h1v1h-1z"
            }
        }
        return
            #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(side) \#(side)" width="\#(pixels)" height="\#(pixels)" shape-rendering="crispEdges" role="img" aria-label="QR code of this page's address">"#
            + #"<rect width="\#(side)" height="\#(side)" fill="white"/><path fill="black" d="\#(path)"/></svg>"#
    }
}
