import BuildJournal
import ContentStore
import DisplayText
import Foundation

/// A build record as a person reads it: header, inputs, then one block per step.
struct BuildRecordPresenter {
    let journal: Journal
    let includeLogs: Bool

    func render(_ build: BuildRecord, steps: [StepRecord]) throws -> String {
        var lines: [String] = []
        lines.append("build \(build.id)\(build.replayOf.map { " (replay of \($0))" } ?? "")")
        lines.append("  status:     \(build.status.rawValue)\(build.error.map { " — \($0)" } ?? "")")
        lines.append("  dockerfile: \(build.dockerfilePath)\(build.dockerfile.map { " (\($0.short))" } ?? "")")
        lines.append("  started:    \(Formatting.timestamp(build.startedAt))"
                     + (build.finishedAt.map { ", took \(Formatting.duration($0 - build.startedAt))" } ?? ""))
        if let target = build.target { lines.append("  target:     \(target)") }
        if let epoch = build.sourceDateEpoch { lines.append("  SOURCE_DATE_EPOCH: \(epoch)") }
        lines.append("  platform:   \(build.platform), network \(build.network)")
        lines.append("  host:       kernel \(build.host.kernel), reprise \(build.host.repriseVersion)")
        for context in build.contexts {
            let what = context.tree.map { "tree \($0.short)" } ?? context.image.map { "image \($0.short)" } ?? "-"
            lines.append("  context \(context.name): \(context.origin) → \(what)")
        }
        for (name, digest) in build.baseImages.sorted(by: { $0.key < $1.key }) {
            lines.append("  base \(name): \(digest)")
        }
        for (key, value) in build.buildArguments.sorted(by: { $0.key < $1.key }) {
            lines.append("  build-arg \(key)=\(value)")
        }
        for secret in build.secrets { lines.append("  secret \(secret.id): \(secret.digest ?? "not given")") }
        for (key, value) in build.variations.sorted(by: { $0.key < $1.key }) {
            lines.append("  variation \(key)=\(value)")
        }
        if let manifest = build.manifest { lines.append("  image:      \(manifest)") }
        // Every field is outside text (a Dockerfile, a bundle): escape before joining, so that
        // no field can start a line of its own or drive the terminal.
        lines = lines.map { DisplayText.escaped($0) }
        for step in steps {
            lines.append("")
            lines.append(contentsOf: try render(step))
        }
        return lines.joined(separator: "\n")
    }

    private func render(_ step: StepRecord) throws -> [String] {
        let location = step.location.map { "\($0.file):\($0.startLine)" } ?? "-"
        var lines = ["#\(step.index) [\(step.stage)] \(step.text)    (\(location))"]
        var status = step.outcome.rawValue.uppercased()
        if let code = step.exitCode, step.outcome == .failed { status += " exit \(code)" }
        if let signal = step.signal { status += " signal \(signal)" }
        lines.append("    \(status) in \(Formatting.duration(step.durationSeconds)), key \(step.cacheKey.short)")
        if let argv = step.argv { lines.append("    argv: \(argv)") }
        if let platform = step.platform { lines.append("    stage platform \(platform) (not the build's)") }
        if step.instruction == "RUN" {
            lines.append("    workdir \(step.workingDirectory), user \(step.user.isEmpty ? "root" : step.user)"
                         + (step.network.map { ", network \($0)" + ($0 == "host" ? " (unrecorded: the host's network)" : "") } ?? ""))
        }
        for mount in step.mounts {
            var text = "    mount \(mount.kind.rawValue) \(mount.target)"
            if let id = mount.id { text += " id=\(id)" }
            if let before = mount.treeBefore { text += " before=\(before.short)" }
            if let after = mount.treeAfter { text += " after=\(after.short)" }
            if let secret = mount.secretDigest { text += " \(secret.prefix(24))…" }
            lines.append(text)
        }
        if let sources = step.sources { lines.append("    sources tree \(sources.short)") }
        if let fetches = step.fetches {
            let shown = fetches.filter { $0.kind != .dns }
            lines.append("    fetches: \(shown.count)" + (step.networkReplayable == false ? " (not replayable offline: TLS tunnels were not intercepted)" : ""))
            for fetch in shown { lines.append("      " + FetchTable.line(fetch)) }
        }
        if let layer = step.layer {
            lines.append("    layer \(layer.digest.short) (\(Formatting.bytes(layer.size))), diff id \(layer.diffID.short)")
        }
        lines = lines.map { DisplayText.escaped($0) }
        if includeLogs {
            for (name, digest) in [("stdout", step.stdout), ("stderr", step.stderr)] {
                guard let digest, let data = try? journal.store.read(digest), !data.isEmpty else { continue }
                lines.append("    \(name):")
                // Logs keep their tabs; escape sequences (colours, cursor moves) show as text.
                lines.append(contentsOf: String(decoding: data, as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "      | " + DisplayText.escaped(String($0), keepingLineBreaks: true) })
            }
        }
        return lines
    }
}
