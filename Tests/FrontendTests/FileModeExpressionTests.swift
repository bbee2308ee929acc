import Frontend
import Testing

/// `--chmod` values against chmod(1) with a umask of 0, as BuildKit applies them (BSD
/// `setmode` semantics). Expected modes were taken from GNU chmod under `umask 0` where the
/// two agree; where BSD differs (GNU keeps a directory's setuid/setgid bits on `=` and octal,
/// clears setgid on `g=u`, and takes `t` only for `o`/`a`), the BSD result is expected and
/// the case says so.
@Suite struct FileModeExpressionTests {
    struct Case: CustomStringConvertible, Sendable {
        var spec: String
        var mode: UInt32
        var isDirectory = false
        var expected: UInt32
        var description: String { "\(spec) on \(String(mode, radix: 8))\(isDirectory ? " dir" : "")" }
    }

    static let cases: [Case] = [
        Case(spec: "u+x,g-w", mode: 0o664, expected: 0o744),
        Case(spec: "a=rX", mode: 0o644, expected: 0o444),
        Case(spec: "a=rX", mode: 0o755, expected: 0o555),
        Case(spec: "a=rX", mode: 0o644, isDirectory: true, expected: 0o555),
        // X looks at the mode before the whole expression, so `a-x,a+X` restores execute.
        Case(spec: "a-x,a+X", mode: 0o700, expected: 0o711),
        Case(spec: "go-w", mode: 0o666, expected: 0o644),
        Case(spec: "u=rwx,go=rx", mode: 0o600, expected: 0o755),
        Case(spec: "+x", mode: 0o600, expected: 0o711),
        Case(spec: "=r", mode: 0o4755, expected: 0o444),
        Case(spec: "g=u", mode: 0o644, expected: 0o664),
        Case(spec: "o=", mode: 0o755, expected: 0o750),
        Case(spec: "u+x-w", mode: 0o644, expected: 0o544),
        Case(spec: "a=rX,u+w", mode: 0o600, expected: 0o644),
        Case(spec: "a=rX,u+w", mode: 0o600, isDirectory: true, expected: 0o755),
        Case(spec: "go=u-w", mode: 0o600, expected: 0o644),
        Case(spec: "u-g", mode: 0o644, expected: 0o244),
        Case(spec: "a+X", mode: 0o600, expected: 0o600),
        Case(spec: "a+X", mode: 0o600, isDirectory: true, expected: 0o711),
        Case(spec: "a+X", mode: 0o2750, expected: 0o2751),
        Case(spec: "a-X", mode: 0o755, expected: 0o644),
        Case(spec: "ug+s", mode: 0o644, expected: 0o6644),
        Case(spec: "u=", mode: 0o4755, expected: 0o055),
        Case(spec: "0644", mode: 0o4755, expected: 0o644),
        Case(spec: "755", mode: 0o600, expected: 0o755),
        Case(spec: "0", mode: 0o644, expected: 0),
        Case(spec: "+", mode: 0o640, expected: 0o640),
        // BSD: `=` and octal clear a directory's setgid too (GNU would keep 2555 / 2755).
        Case(spec: "a=rX", mode: 0o2750, isDirectory: true, expected: 0o555),
        Case(spec: "755", mode: 0o2750, isDirectory: true, expected: 0o755),
        // BSD: `g=u` copies the triple and leaves setgid alone (GNU clears it: 770).
        Case(spec: "g=u", mode: 0o2750, expected: 0o2770),
        // BSD: `s` needs u or g; `t` needs a class other than o alone (GNU: the reverse).
        Case(spec: "o+s", mode: 0o644, expected: 0o644),
        Case(spec: "u+t", mode: 0o755, isDirectory: true, expected: 0o1755),
        Case(spec: "o+t", mode: 0o755, isDirectory: true, expected: 0o755),
        Case(spec: "+t", mode: 0o777, isDirectory: true, expected: 0o1777),
        Case(spec: "a=rwx", mode: 0o1777, isDirectory: true, expected: 0o1777),
    ]

    @Test(arguments: cases)
    func appliesLikeChmod(_ testCase: Case) throws {
        let expression = try FileModeExpression.parse(testCase.spec)
        let result = expression.apply(to: testCase.mode, isDirectory: testCase.isDirectory)
        #expect(String(result, radix: 8) == String(testCase.expected, radix: 8))
    }

    @Test func fileTypeBitsAreKept() throws {
        let expression = try FileModeExpression.parse("u+x")
        #expect(expression.apply(to: 0o100644, isDirectory: false) == 0o100744)
        #expect(expression.apply(to: 0o040700, isDirectory: true) == 0o040700)
    }

    @Test func octalValuesAreExposed() throws {
        #expect(try FileModeExpression.parse("0755").octal == 0o755)
        #expect(try FileModeExpression.parse("u+x").octal == nil)
    }

    @Test(arguments: ["", "u", "ug", "x", "u+q", "u+x,", ",u+x", "a=r,,g+w", "u+x g+w", "-1", "rwx"])
    func rejectsInvalidSymbolicModes(_ spec: String) {
        #expect(throws: FileModeError(value: spec, kind: .syntax)) { try FileModeExpression.parse(spec) }
    }

    @Test(arguments: ["8", "0o755", "17777", "99999999999", "0755x"])
    func rejectsInvalidOctalModesWithBuildKitsMessage(_ spec: String) throws {
        let error = try #require(throws: FileModeError.self) { try FileModeExpression.parse(spec) }
        #expect(error.kind == .octal)
        #expect(error.description == "invalid chmod parameter: '\(spec)'. it should be octal string and between 0 and 07777")
    }
}
