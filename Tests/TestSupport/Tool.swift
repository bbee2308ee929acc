import Foundation

/// What an external command printed and how it ended.
public struct ToolOutput: CustomStringConvertible, Sendable {
    public var command: [String]
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var succeeded: Bool { status == 0 }

    public var description: String {
        "$ \(command.joined(separator: " "))\nexit \(status)\n\(stdout)\(stderr)"
    }
}

/// Runs real tools (skopeo, umoci, python3…) for tests that check our output with clients
/// nobody on the team wrote.
public enum Tool {
    /// Runs `argv` (looked up on PATH), feeding `input` to stdin; never throws for a non-zero exit.
    @discardableResult
    public static func run(_ argv: [String], input: Data? = nil, in directory: String? = nil,
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
    public static func check(_ argv: [String], input: Data? = nil, in directory: String? = nil,
                      environment: [String: String] = [:]) throws -> ToolOutput {
        let output = try run(argv, input: input, in: directory, environment: environment)
        guard output.succeeded else { throw ToolFailure(output: output) }
        return output
    }
}

public struct ToolFailure: Error, CustomStringConvertible {
    public var output: ToolOutput
    public init(output: ToolOutput) { self.output = output }
    public var description: String { "tool failed:\n\(output)" }
}
