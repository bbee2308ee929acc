import DifferenceModel

/// A unified diff of two line lists, in hunks with three lines of context.
enum LineDiff {
    enum Edit: Equatable {
        case same(Int, Int)
        case removed(Int)
        case added(Int)
    }

    /// Lines the two share at the start and at the end; only the middle needs a real diff.
    static func commonEnds(_ a: [Substring], _ b: [Substring]) -> (prefix: Int, suffix: Int) {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix
                && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        return (prefix, suffix)
    }

    /// The edit script turning `a` into `b`: common ends trimmed, then Myers (through the
    /// standard library) on the middle.
    static func edits(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        let (prefix, suffix) = commonEnds(a, b)
        let middleA = a[prefix..<(a.count - suffix)]
        let middleB = b[prefix..<(b.count - suffix)]
        let difference = middleB.difference(from: middleA)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset + prefix)
            case .insert(let offset, _, _): inserted.insert(offset + prefix)
            }
        }
        var edits: [Edit] = []
        edits.reserveCapacity(max(a.count, b.count))
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && removed.contains(i) {
                edits.append(.removed(i)); i += 1
            } else if j < b.count && inserted.contains(j) {
                edits.append(.added(j)); j += 1
            } else if i < a.count && j < b.count {
                edits.append(.same(i, j)); i += 1; j += 1
            } else if i < a.count {
                edits.append(.removed(i)); i += 1
            } else {
                edits.append(.added(j)); j += 1
            }
        }
        return edits
    }

    /// Hunks as detail lines, at most `limit` of them; the rest are counted.
    static func unified(_ a: [Substring], _ b: [Substring], context: Int = 3, limit: Int) -> Detail {
        let script = edits(a, b)
        var lines: [Detail.Line] = []
        var omitted = 0
        func emit(_ line: Detail.Line) {
            if lines.count < limit { lines.append(line) } else { omitted += 1 }
        }
        var index = 0
        while index < script.count {
            guard let changeStart = script[index...].firstIndex(where: { if case .same = $0 { return false }; return true }) else {
                break
            }
            // Extend the hunk while changes are within 2×context of each other.
            var end = changeStart
            var lastChange = changeStart
            while end < script.count {
                if case .same = script[end] {
                    if end - lastChange > 2 * context { break }
                } else {
                    lastChange = end
                }
                end += 1
            }
            let start = max(index, changeStart - context)
            let stop = min(script.count, lastChange + context + 1)
            let hunk = script[start..<stop]
            let (aStart, bStart) = origin(of: hunk, in: script, before: start)
            let aCount = hunk.filter { if case .added = $0 { return false }; return true }.count
            let bCount = hunk.filter { if case .removed = $0 { return false }; return true }.count
            emit(Detail.Line(.header, "@@ -\(aStart + 1),\(aCount) +\(bStart + 1),\(bCount) @@"))
            for edit in hunk {
                switch edit {
                case .same(let i, _): emit(Detail.Line(.context, Printable.line(a[i])))
                case .removed(let i): emit(Detail.Line(.removed, Printable.line(a[i])))
                case .added(let j): emit(Detail.Line(.added, Printable.line(b[j])))
                }
            }
            index = stop
        }
        return Detail(format: .unifiedDiff, lines: lines, omittedLines: omitted)
    }

    /// The 0-based line numbers in A and B where a hunk starts.
    private static func origin(of hunk: ArraySlice<Edit>, in script: [Edit], before start: Int) -> (Int, Int) {
        var a = 0
        var b = 0
        for edit in script[..<start] {
            switch edit {
            case .same: a += 1; b += 1
            case .removed: a += 1
            case .added: b += 1
            }
        }
        return (a, b)
    }

    /// The lines of A that were removed and those of B that were added, paired in order.
    static func changedLines(_ a: [Substring], _ b: [Substring]) -> (removed: [Substring], added: [Substring]) {
        var removed: [Substring] = []
        var added: [Substring] = []
        for edit in edits(a, b) {
            switch edit {
            case .removed(let i): removed.append(a[i])
            case .added(let j): added.append(b[j])
            case .same: break
            }
        }
        return (removed, added)
    }
}
