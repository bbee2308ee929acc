// Benchmark driver for scripts/bench-frontend: compiled with Sources/Frontend/*.swift into one
// module. Times parsing (line + instruction parser) and the full check of generated files.

@main
struct FrontendBench {
    /// A Dockerfile of about `lines` lines mixing every construct the parser handles.
    static func generate(lines target: Int) -> [UInt8] {
        var text = "# syntax=docker/dockerfile:1\nARG BASE=alpine:3.20\n"
        var lines = 2
        var stage = 0
        while lines < target {
            text += "FROM ${BASE} AS stage\(stage)\n"
            text += "ENV APP_HOME=/srv/app\(stage) PATH=/opt/bin:$PATH\n"
            text += "WORKDIR ${APP_HOME}\n"
            text += "RUN --mount=type=cache,target=/root/.cache,id=c\(stage) \\\n    apk add --no-cache curl \\\n    # comment in continuation\n    git make\n"
            text += "COPY --chown=1000:1000 --chmod=0644 ./src/ ${APP_HOME}/\n"
            text += "RUN <<EOF\nset -eu\necho stage \(stage)\nEOF\n"
            if stage > 0 { text += "COPY --from=stage\(stage - 1) /srv /prev\n" }
            text += "LABEL com.example.stage=\"\(stage)\" version=${BASE#*:}\n"
            text += "CMD [\"/bin/sh\", \"-c\", \"echo \(stage)\"]\n"
            lines += stage > 0 ? 16 : 15
            stage += 1
        }
        return Array(text.utf8)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func main() {
        let clock = ContinuousClock()
        print("| lines | bytes | parse (ms) | parse µs/line | full check (ms) | check µs/line |")
        print("|---:|---:|---:|---:|---:|---:|")
        for size in [1_000, 10_000, 100_000] {
            let source = generate(lines: size)
            let lineCount = source.filter { $0 == 10 }.count
            var bestParse = Double.infinity
            var bestCheck = Double.infinity
            for _ in 0..<3 {
                let parse = clock.measure { _ = ParsedDockerfile(source: source, fileName: "bench") }
                bestParse = min(bestParse, milliseconds(parse))
                let check = clock.measure {
                    let report = DockerfileChecker.check(source: source, fileName: "bench")
                    precondition(report.isValid, "generated file must be valid: \(report.errors.prefix(3))")
                }
                bestCheck = min(bestCheck, milliseconds(check))
            }
            let perLineParse = bestParse * 1000 / Double(lineCount)
            let perLineCheck = bestCheck * 1000 / Double(lineCount)
            print("| \(lineCount) | \(source.count) | \(format3(bestParse)) | \(format3(perLineParse)) | \(format3(bestCheck)) | \(format3(perLineCheck)) |")
        }
    }

    static func format3(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return String(scaled)
    }
}
