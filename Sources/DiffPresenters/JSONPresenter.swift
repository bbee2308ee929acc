import DifferenceModel
import Foundation

/// The report as JSON, in the shape `Docs/diff-schema.json` documents: the `DiffReport` value
/// encoded with sorted keys, absent optionals left out.
public struct JSONPresenter: DiffPresenter {
    public var pretty: Bool

    public init(pretty: Bool = true) {
        self.pretty = pretty
    }

    public func render(_ report: DiffReport) -> String {
        String(decoding: (try? encode(report)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    /// The JSON bytes; throws only if the report holds a value JSON cannot carry.
    public func encode(_ report: DiffReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }

    /// Reads a report back (for tools and tests).
    public static func decode(_ data: Data) throws -> DiffReport {
        try JSONDecoder().decode(DiffReport.self, from: data)
    }
}
