/// A shell glob (`*`, `?`, `[...]`, `\x`) as used by `${VAR#pattern}`, `${VAR%pattern}` and
/// `${VAR/pattern/replacement}`.
///
/// Matching simulates the pattern as a set of positions (an NFA) so that it is linear in the
/// subject for a given pattern; backtracking matchers go exponential on patterns like `*a*a*a*b`.
struct ShellPattern: Sendable {
    enum Element: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case anyCharacter
        case anyString
        case characterClass(negated: Bool, ranges: [ClosedRange<UInt32>])

        func matches(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .literal(let expected): return scalar == expected
            case .anyCharacter: return true
            case .anyString: return false
            case .characterClass(let negated, let ranges):
                return ranges.contains { $0.contains(scalar.value) } != negated
            }
        }
    }

    let elements: [Element]

    init(_ pattern: String) throws(ExpansionError) {
        elements = ShellPattern.compile(Array(pattern.unicodeScalars))
    }

    private init(elements: [Element]) {
        self.elements = elements
    }

    private static func compile(_ scalars: [Unicode.Scalar]) -> [Element] {
        var elements: [Element] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "*":
                if elements.last != .anyString { elements.append(.anyString) }
            case "?":
                elements.append(.anyCharacter)
            case "\\":
                if index < scalars.count {
                    elements.append(.literal(scalars[index]))
                    index += 1
                } else {
                    elements.append(.literal("\\"))
                }
            case "[":
                if let (element, end) = compileClass(scalars, from: index) {
                    elements.append(element)
                    index = end
                } else {
                    elements.append(.literal("["))
                }
            default:
                elements.append(.literal(scalar))
            }
        }
        return elements
    }

    /// Parses `[!a-z]`-style classes starting after the `[`; nil when there is no closing `]`.
    private static func compileClass(_ scalars: [Unicode.Scalar], from start: Int)
        -> (Element, Int)?
    {
        var index = start
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while index < scalars.count {
            var low = scalars[index]
            if low == "]" && !first { return (.characterClass(negated: negated, ranges: ranges), index + 1) }
            first = false
            index += 1
            if low == "\\", index < scalars.count {
                low = scalars[index]
                index += 1
            }
            var high = low
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                high = scalars[index + 1]
                index += 2
            }
            if low.value <= high.value { ranges.append(low.value...high.value) }
        }
        return nil
    }

    /// The pattern with its elements in reverse order, to match suffixes as prefixes.
    var reversed: ShellPattern { ShellPattern(elements: elements.reversed()) }

    /// Lengths of every prefix of `subject[start...]` the pattern matches, shortest first.
    func matchLengths(in subject: [Unicode.Scalar], from start: Int, stopAtFirst: Bool) -> [Int] {
        var lengths: [Int] = []
        var active = [Bool](repeating: false, count: elements.count + 1)
        active[0] = true
        closeOverStars(&active)
        var position = start
        while true {
            if active[elements.count] {
                lengths.append(position - start)
                if stopAtFirst { return lengths }
            }
            guard position < subject.count else { return lengths }
            let scalar = subject[position]
            var next = [Bool](repeating: false, count: elements.count + 1)
            var any = false
            for state in 0..<elements.count where active[state] {
                switch elements[state] {
                case .anyString:
                    next[state] = true
                    any = true
                default:
                    if elements[state].matches(scalar) {
                        next[state + 1] = true
                        any = true
                    }
                }
            }
            guard any else { return lengths }
            closeOverStars(&next)
            active = next
            position += 1
        }
    }

    private func closeOverStars(_ states: inout [Bool]) {
        for state in 0..<elements.count where states[state] && elements[state] == .anyString {
            states[state + 1] = true
        }
    }

    /// Length of the shortest or longest prefix of `subject` the pattern matches.
    func prefixMatch(in subject: [Unicode.Scalar], longest: Bool) -> Int? {
        let lengths = matchLengths(in: subject, from: 0, stopAtFirst: !longest)
        return longest ? lengths.last : lengths.first
    }

    /// Length of the shortest or longest suffix of `subject` the pattern matches.
    func suffixMatch(in subject: [Unicode.Scalar], longest: Bool) -> Int? {
        reversed.prefixMatch(in: subject.reversed(), longest: longest)
    }

    /// Length of the longest match starting at `position`, if any.
    func longestMatch(in subject: [Unicode.Scalar], at position: Int) -> Int? {
        matchLengths(in: subject, from: position, stopAtFirst: false).last
    }
}
