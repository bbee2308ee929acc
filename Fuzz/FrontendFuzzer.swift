// libFuzzer entry point for the Dockerfile frontend. Built by scripts/fuzz-frontend together
// with Sources/Frontend/*.swift into one module, so it calls the library directly.

@_cdecl("LLVMFuzzerTestOneInput")
public func frontendFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The whole pipeline: line parser, instruction parser, linter, planner, formatter.
    let report = DockerfileChecker.check(source: bytes, fileName: "fuzz",
                                         buildArgs: ["FUZZ": "1"], target: nil)
    _ = DiagnosticFormatter.format(report)
    // Every error must be located inside the file.
    for diagnostic in report.diagnostics {
        precondition(diagnostic.location.startLine >= 1 && diagnostic.location.column >= 1,
                     "diagnostic without a location: \(diagnostic)")
    }
    return 0
}
