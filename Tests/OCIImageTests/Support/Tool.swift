import Foundation

/// What an external command printed and how it ended.
struct ToolOutput: CustomStringConvertible {
    var command: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    var succeeded: Bool { status == 0 }

    var description: String {
        "$ \(command.joined(separator: " "))\nexit \(status)\n\(stdout)\(stderr)"
    }
}

/// Runs real tools (skopeo, umoci, python3…) for tests that check our output with clients
/// nobody on the team wrote.
enum Tool {
    /// Runs `argv` (looked up on PATH), feeding `input` to stdin; never throws for a non-zero exit.
    @discardableResult
    static func run(_ argv: [String], input: Data? = nil, in directory: String? = nil,
                    environment: [String: String] = [:]) throws -> ToolOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: input)
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes before waiting, or a chatty tool blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ToolOutput(command: argv, status: process.terminationStatus,
                          stdout: String(decoding: outputData, as: UTF8.self),
                          stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Runs `argv` and fails the test with its output when it does not succeed.
    @discardableResult
    static func check(_ argv: [String], input: Data? = nil, in directory: String? = nil,
                      environment: [String: String] = [:]) throws -> ToolOutput {
        let output = try run(argv, input: input, in: directory, environment: environment)
        guard output.succeeded else { throw ToolFailure(output: output) }
        return output
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    var output: ToolOutput
    var description: String { "tool failed:\n\(output)" }
}

/// A fresh directory under /tmp, removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "oci") throws {
        let template = "/tmp/reprise-\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let result = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: result)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func sub(_ name: String) -> String { path + "/" + name }
}
