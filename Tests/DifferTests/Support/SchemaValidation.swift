import DiffPresenters
import DifferenceModel
import Foundation
import TestSupport

/// Validates JSON output against Docs/diff-schema.json with Python's jsonschema.
enum SchemaValidation {
    static var schemaPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Docs/diff-schema.json").path
    }

    static func validate(_ report: DiffReport, scratch: Scratch) throws {
        let output = scratch.file("report-\(UUID().uuidString).json")
        try JSONPresenter().encode(report).write(to: URL(fileURLWithPath: output))
        try Tool.check(["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(json.load(open(sys.argv[2])))
            """, schemaPath, output])
    }
}
