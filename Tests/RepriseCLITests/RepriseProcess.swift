import Foundation
import TestSupport

/// Runs the built `reprise` executable as a user would, capturing its output.
struct RepriseProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable SwiftPM built beside the test bundle, or `REPRISE_TEST_BINARY` (to run the
    /// CLI suites against another build: the release binary links the Swift runtime statically,
    /// and Foundation has behaved differently there).
    static var executable: String {
        if let chosen = ProcessInfo.processInfo.environment["REPRISE_TEST_BINARY"], !chosen.isEmpty { return chosen }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // XCTest bundles sit one level deeper on some layouts (…/X.xctest/…).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("reprise").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("reprise").path
    }

    /// Starts `reprise ARGS` without waiting.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `reprise ARGS` to completion.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let output = try Tool.run([executable] + arguments, environment: environment)
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }
}
