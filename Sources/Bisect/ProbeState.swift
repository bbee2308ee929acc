/// Counts probes across the async closures ddmin calls.
actor ProbeState {
    /// Probes built by this run (what `--max-probes` limits).
    private(set) var builtNow = 0
    /// Numbers continue after a resumed log's probes.
    private var numbered: Int

    init(numbered: Int) {
        self.numbered = numbered
    }

    func next() -> Int {
        builtNow += 1
        numbered += 1
        return numbered
    }
}
