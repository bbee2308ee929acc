import ArgumentParser
import DisplayText
import Foundation

/// How every command ends when something goes wrong: one line on stderr, `reprise: error: …`,
/// naming the file (and line) when there is one, and an exit status a script can rely on.
enum CommandFailure {
    /// Runs a command body; any error becomes a message and `status`.
    static func reporting<T>(status: Int32 = 1, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch let error as ExitCodeError {
            throw ExitCode(error.status)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(status)
        }
    }
}

/// Writing to the terminal: stdout for results, stderr for progress and errors. Messages carry
/// outside text (paths, ids, Dockerfile lines), so control characters are shown escaped.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("reprise: error: \(DisplayText.escaped(message, keepingLineBreaks: true))\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("reprise: warning: \(DisplayText.escaped(message, keepingLineBreaks: true))\n".utf8))
    }

    static func progress(_ message: String) {
        FileHandle.standardError.write(Data((DisplayText.escaped(message, keepingLineBreaks: true) + "\n").utf8))
    }

    /// Whether stderr is a terminal, for progress that rewrites one line.
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// JSON for scripts. Times (the records keep seconds since the epoch in fields named
    /// `…At`) are shown in RFC 3339, UTC with fractional seconds, as other tools print them.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return print(String(decoding: data, as: UTF8.self))
        }
        let converted = try JSONSerialization.data(withJSONObject: Formatting.rfc3339Times(in: object),
                                                   options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        print(String(decoding: converted, as: UTF8.self))
    }
}
