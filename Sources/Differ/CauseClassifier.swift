#if canImport(Glibc)
import Glibc
#endif
import DifferenceModel
import Foundation

/// Names causes from what is known of the two builds (hostnames, build paths, times,
/// SOURCE_DATE_EPOCH) and from the shape of a difference.
struct CauseClassifier: Sendable {
    /// What each side's build recorded (empty for images without a journal).
    struct SideFacts: Sendable, Hashable {
        var hostnames: [String] = []
        var buildPaths: [String] = []
        var sourceDateEpoch: Int64?
        /// Wall-clock start and end of the build.
        var startedAt: Double?
        var finishedAt: Double?
    }

    var a = SideFacts()
    var b = SideFacts()
    /// Differing regions larger than this are not scanned for volatile tokens (regular
    /// expressions over megabytes cost seconds).
    var scanLimit = 256 << 10

    // MARK: header fields

    func timestampCause(_ a: Int64, _ b: Int64, what: String) -> Cause {
        var evidence = "\(what) \(a) (\(Self.iso8601(a))) vs \(b) (\(Self.iso8601(b)))"
        let epochs = [self.a.sourceDateEpoch, self.b.sourceDateEpoch].compactMap { $0 }
        if let epoch = epochs.first {
            if a == epoch && b != epoch { evidence += "; A is SOURCE_DATE_EPOCH, B is not clamped" + near(b, side: self.b) }
            else if b == epoch && a != epoch { evidence += "; B is SOURCE_DATE_EPOCH, A is not clamped" + near(a, side: self.a) }
        } else {
            evidence += near(b, side: self.b)
        }
        return Cause(.timestamp, .certain, evidence: evidence)
    }

    /// Umask bits are group/other write (022, 002): a mode that differs only there is umask.
    func modeCause(_ a: UInt32, _ b: UInt32) -> Cause {
        let changed = (a ^ b) & 0o7777
        let octal = { (mode: UInt32) in String(mode & 0o7777, radix: 8).leftPadded(to: 4) }
        if changed & ~UInt32(0o022) == 0 {
            return Cause(.permissions, .certain,
                         evidence: "mode \(octal(a)) vs \(octal(b)) differs only in umask bits \(octal(changed))")
        }
        return Cause(.permissions, .likely, evidence: "mode \(octal(a)) vs \(octal(b)) (bits \(octal(changed)))")
    }

    private func near(_ time: Int64, side: SideFacts) -> String {
        guard let start = side.startedAt else { return "" }
        let end = side.finishedAt ?? start
        let seconds = Double(time)
        if seconds >= start - 60 && seconds <= end + 60 {
            return "; \(time) falls within its build (\(Int(start))–\(Int(end)))"
        }
        return ""
    }

    // MARK: contents

    /// Causes for two different contents, or none. Each masker hides one kind of volatile value;
    /// if the contents are equal once a kind is hidden, that kind is the cause.
    func classifyContent(_ dataA: Data, _ dataB: Data) -> [Cause] {
        guard dataA != dataB else { return [] }
        // Only the region between the common prefix and suffix can hold the cause; with some
        // context around it, so a token cut by the edge is cut the same way on both sides.
        let (windowA, windowB) = Self.differingWindows([UInt8](dataA), [UInt8](dataB), context: 128)
        if windowA.count <= scanLimit && windowB.count <= scanLimit {
            let causes = maskedCauses(Self.latin1(windowA), Self.latin1(windowB))
            if !causes.isEmpty { return causes }
        }
        if let random = randomBytesCause(dataA, dataB) { return [random] }
        return []
    }

    private func maskedCauses(_ textA: String, _ textB: String) -> [Cause] {
        var maskedA = textA
        var maskedB = textB
        var causes: [Cause] = []
        for masker in maskers() {
            let (nextA, tokensA) = masker.apply(maskedA, side: 0)
            let (nextB, tokensB) = masker.apply(maskedB, side: 1)
            if tokensA != tokensB && (!tokensA.isEmpty || !tokensB.isEmpty) {
                causes.append(masker.cause(tokensA, tokensB, self))
            }
            maskedA = nextA
            maskedB = nextB
            if maskedA == maskedB { return causes }
        }
        return []
    }

    /// The bytes of each side from just before the first difference to just after the last.
    static func differingWindows(_ a: [UInt8], _ b: [UInt8], context: Int) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        let shorter = min(a.count, b.count)
        var prefix = 0
        while prefix < shorter && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < shorter - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let start = max(0, prefix - context)
        return (a[start..<min(a.count, a.count - suffix + context)], b[start..<min(b.count, b.count - suffix + context)])
    }

    private func maskers() -> [Masker] {
        var list: [Masker] = []
        if !a.hostnames.isEmpty || !b.hostnames.isEmpty {
            list.append(.literal(.hostname, a: a.hostnames, b: b.hostnames))
        }
        if !a.buildPaths.isEmpty || !b.buildPaths.isEmpty {
            list.append(.literal(.buildPath, a: a.buildPaths, b: b.buildPaths))
        }
        list.append(Masker.locale)
        list.append(Masker.timestamp)
        list.append(Masker.pid)
        list.append(Masker.random)
        return list
    }

    /// Same length, and differing nearly everywhere over a span of varied bytes: random output.
    private func randomBytesCause(_ a: Data, _ b: Data) -> Cause? {
        guard a.count == b.count, a.count >= 8 else { return nil }
        let bytesA = [UInt8](a)
        let bytesB = [UInt8](b)
        guard let first = bytesA.indices.first(where: { bytesA[$0] != bytesB[$0] }),
              let last = bytesA.indices.last(where: { bytesA[$0] != bytesB[$0] }) else { return nil }
        let span = last - first + 1
        guard span >= 8 else { return nil }
        let differing = (first...last).filter { bytesA[$0] != bytesB[$0] }.count
        let distinct = Set(bytesB[first...last]).count
        guard Double(differing) >= 0.85 * Double(span), distinct >= min(span / 2, 64) else { return nil }
        return Cause(.randomness, .likely,
                     evidence: "same length; \(differing) of \(span) bytes differ over 0x\(String(first, radix: 16))–0x\(String(last, radix: 16)), \(distinct) distinct byte values")
    }

    // MARK: helpers

    /// One character per byte, so offsets and lengths survive and any bytes can be scanned.
    static func latin1(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
    }

    static func iso8601(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "?" }
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
