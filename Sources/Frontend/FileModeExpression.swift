/// A `COPY`/`ADD --chmod` value: an octal mode (`0755`) or a chmod(1) symbolic expression
/// (`u+x,g-w`, `a=rX`, `go-w`, `g=u`).
///
/// BuildKit hands symbolic values to a Go port of BSD's `setmode(3)` (tonistiigi/dchapes-mode)
/// with a umask of 0, and applies the result to every file and directory it copies. This type
/// follows the same rules, so a Dockerfile written for BuildKit gets the same modes here:
/// - a clause without `ugoa` affects all classes (the umask is 0, so nothing is masked);
/// - `X` adds execute only when the *original* mode had an execute bit, or for directories
///   (with `-`, `X` removes execute like `x`);
/// - `s` is ignored for `o` alone, and `t` applies only when the clause may touch the owner;
/// - `=` clears the classes named (or all standard bits) before setting;
/// - `u`, `g`, `o` after the operator copy that class's current bits (`g=u`).
public struct FileModeExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// The mode when the value was written in octal (it then replaces all of 07777).
    public let octal: UInt32?
    let steps: [Step]

    /// One primitive change, applied in order.
    enum Step: Sendable, Hashable {
        case clear(UInt32)
        case set(UInt32)
        /// Set `bits` when the original mode had any execute bit or is a directory (`X`).
        case setIfExecutable(UInt32)
        /// Copy the permission triple of `source` into the `targets` classes (`g=u`).
        case copy(source: PermissionClass, targets: Set<PermissionClass>, mask: UInt32,
                  clears: Bool, sets: Bool)
    }

    enum PermissionClass: Int, Sendable, Hashable {
        case user = 6, group = 3, other = 0
    }

    private init(text: String, octal: UInt32?, steps: [Step]) {
        self.text = text
        self.octal = octal
        self.steps = steps
    }

    public var description: String { text }

    /// Parses `text`; the error message follows BuildKit's wording.
    public static func parse(_ text: String) throws(FileModeError) -> FileModeExpression {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { throw FileModeError(value: text, kind: .syntax) }
        if first.isASCIIDigit {
            // Go's ParseUint(s, 8, 32): octal digits only; BuildKit rejects more than 07777.
            guard bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }),
                  let value = UInt32(text, radix: 8), value <= 0o7777
            else { throw FileModeError(value: text, kind: .octal) }
            return FileModeExpression(text: text, octal: value, steps: [.clear(0o7777), .set(value)])
        }
        var parser = SymbolicModeParser(bytes: bytes)
        guard let steps = parser.parse() else { throw FileModeError(value: text, kind: .syntax) }
        return FileModeExpression(text: text, octal: nil, steps: steps)
    }

    /// The mode `mode` gets: the permission, setuid/setgid and sticky bits (07777) change,
    /// higher bits (the file type, `S_IFMT`) are kept.
    ///
    /// - Parameter isDirectory: directories get `X` even without an execute bit.
    public func apply(to mode: UInt32, isDirectory: Bool) -> UInt32 {
        let original = mode & 0o7777
        var result = original
        for step in steps {
            switch step {
            case .clear(let bits):
                result &= ~bits
            case .set(let bits):
                result |= bits
            case .setIfExecutable(let bits):
                if original & 0o111 != 0 || isDirectory { result |= bits }
            case .copy(let source, let targets, let mask, let clears, let sets):
                let value = (result >> UInt32(source.rawValue)) & 0o7
                for target in [PermissionClass.user, .group, .other] where targets.contains(target) {
                    let shift = UInt32(target.rawValue)
                    // `=` clears the whole triple, `-` only the copied bits.
                    if clears { result &= ~(((sets ? 0o7 : value) << shift) & mask) }
                    if sets { result |= (value << shift) & mask }
                }
            }
        }
        return (mode & ~0o7777) | result
    }
}

/// Why a `--chmod` value was refused.
public struct FileModeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Looked numeric but is not octal within 07777.
        case octal
        /// Not a symbolic expression chmod(1) accepts.
        case syntax
    }

    public var value: String
    public var kind: Kind

    public init(value: String, kind: Kind) {
        self.value = value
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .octal:
            "invalid chmod parameter: '\(value)'. it should be octal string and between 0 and 07777"
        case .syntax:
            "invalid chmod parameter: '\(value)': invalid syntax; expected an octal mode like 0755 or a symbolic one like u+x,g-w or a=rX"
        }
    }
}

/// `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` clauses separated by commas, turned into steps the way
/// BSD's `setmode` builds its command list.
private struct SymbolicModeParser {
    let bytes: [UInt8]
    var index = 0
    var steps: [FileModeExpression.Step] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    private static let setID: UInt32 = 0o6000
    private static let sticky: UInt32 = 0o1000
    private static let standard: UInt32 = 0o6777
    private static let read: UInt32 = 0o444, write: UInt32 = 0o222, execute: UInt32 = 0o111

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func parse() -> [FileModeExpression.Step]? {
        while true {
            var who: UInt32 = 0
            while let byte = current, let bits = Self.whoBits(byte) {
                who |= bits
                index += 1
            }
            // Every clause needs at least one operator.
            guard current != nil else { return nil }
            repeat {
                guard let op = current, op == UInt8(ascii: "+") || op == UInt8(ascii: "-")
                        || op == UInt8(ascii: "=") else { return nil }
                index += 1
                parseOperation(op, who: who & ~Self.sticky)
            } while current != nil && current != UInt8(ascii: ",")
            guard current != nil else { return steps }
            index += 1  // the comma; a trailing comma leaves an empty clause, refused above
        }
    }

    private static func whoBits(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "a"): standard
        case UInt8(ascii: "u"): 0o4700
        case UInt8(ascii: "g"): 0o2070
        case UInt8(ascii: "o"): 0o0007
        default: nil
        }
    }

    /// The permission letters after one operator, up to the next operator or comma.
    private mutating func parseOperation(_ op: UInt8, who initialWho: UInt32) {
        var who = initialWho
        var perm: UInt32 = 0
        var permX: UInt32 = 0
        var assigned = false
        // Whether the clause may touch the owner or group (`s` and `t` need it).
        func touchesOwnerOrGroup(_ who: UInt32) -> Bool { who == 0 || who & ~0o007 != 0 }
        while let byte = current {
            switch byte {
            case UInt8(ascii: "r"): perm |= Self.read
            case UInt8(ascii: "w"): perm |= Self.write
            case UInt8(ascii: "x"): perm |= Self.execute
            case UInt8(ascii: "X"):
                if op == UInt8(ascii: "-") { perm |= Self.execute } else { permX = Self.execute }
            case UInt8(ascii: "s"):
                if touchesOwnerOrGroup(who) { perm |= Self.setID }
            case UInt8(ascii: "t"):
                if touchesOwnerOrGroup(who) {
                    who |= Self.sticky
                    perm |= Self.sticky
                }
            case UInt8(ascii: "u"), UInt8(ascii: "g"), UInt8(ascii: "o"):
                if perm != 0 {
                    add(op, who: who, bits: perm)
                    perm = 0
                }
                if op == UInt8(ascii: "=") { assigned = true }
                if permX != 0 {
                    add(UInt8(ascii: "X"), who: who, bits: permX)
                    permX = 0
                }
                addCopy(from: byte, op: op, who: who)
            default:
                finish(op, who: who, perm: perm, permX: permX, assigned: assigned)
                return
            }
            index += 1
        }
        finish(op, who: who, perm: perm, permX: permX, assigned: assigned)
    }

    private mutating func finish(_ op: UInt8, who: UInt32, perm: UInt32, permX: UInt32, assigned: Bool) {
        // `u=` with nothing after it still clears the owner's bits.
        if perm != 0 || (op == UInt8(ascii: "=") && !assigned) { add(op, who: who, bits: perm) }
        if permX != 0 { add(UInt8(ascii: "X"), who: who, bits: permX) }
    }

    private mutating func add(_ op: UInt8, who: UInt32, bits: UInt32) {
        // With a umask of 0, "no who" means every bit the permission letters name.
        let selected = who != 0 ? who & bits : bits
        switch op {
        case UInt8(ascii: "="):
            steps.append(.clear(who != 0 ? who : Self.standard))
            steps.append(.set(selected))
        case UInt8(ascii: "+"):
            steps.append(.set(selected))
        case UInt8(ascii: "-"):
            steps.append(.clear(selected))
        default:
            steps.append(.setIfExecutable(selected))
        }
    }

    private mutating func addCopy(from byte: UInt8, op: UInt8, who: UInt32) {
        let source: FileModeExpression.PermissionClass =
            byte == UInt8(ascii: "u") ? .user : byte == UInt8(ascii: "g") ? .group : .other
        var targets = Set<FileModeExpression.PermissionClass>()
        if who == 0 || who & 0o400 != 0 { targets.insert(.user) }
        if who == 0 || who & 0o040 != 0 { targets.insert(.group) }
        if who == 0 || who & 0o004 != 0 { targets.insert(.other) }
        steps.append(.copy(source: source, targets: targets, mask: 0o7777,
                           clears: op != UInt8(ascii: "+"), sets: op != UInt8(ascii: "-")))
    }
}
