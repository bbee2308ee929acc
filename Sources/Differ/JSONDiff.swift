import DifferenceModel
import Foundation

/// Compares two parsed JSON values by key: one field node per changed, added or removed path
/// (`.config.Env[2]`). Arrays of scalars that hold the same items in another order are one node
/// with the ordering cause.
struct JSONDiff {
    var limit: Int
    /// Paths not to compare (`.rootfs.diff_ids`, which layer nodes already cover).
    var skipped: Set<String> = []
    private(set) var nodes: [DifferenceNode] = []
    private(set) var omitted = 0

    init(limit: Int, skipped: Set<String> = []) {
        self.limit = limit
        self.skipped = skipped
    }

    mutating func compare(_ a: Any?, _ b: Any?, path: String = "") {
        guard !skipped.contains(path) else { return }
        switch (a, b) {
        case (nil, nil):
            return
        case (let a?, nil):
            add(DifferenceNode(kind: .field, name: Self.display(path), status: .removed, a: Self.render(a)))
        case (nil, let b?):
            add(DifferenceNode(kind: .field, name: Self.display(path), status: .added, b: Self.render(b)))
        case (let a as [String: Any], let b as [String: Any]):
            for key in Set(a.keys).union(b.keys).sorted() {
                compare(a[key], b[key], path: path + "." + Self.key(key))
            }
        case (let a as [Any], let b as [Any]):
            compareArrays(a, b, path: path)
        case (let a?, let b?):
            if !Self.equal(a, b) {
                add(DifferenceNode(kind: .field, name: Self.display(path), a: Self.render(a), b: Self.render(b)))
            }
        }
    }

    private mutating func compareArrays(_ a: [Any], _ b: [Any], path: String) {
        if a.count == b.count && zip(a, b).allSatisfy({ Self.equal($0, $1) }) { return }
        let renderedA = a.map { Self.render($0) }
        let renderedB = b.map { Self.render($0) }
        if renderedA.sorted() == renderedB.sorted() {
            var node = DifferenceNode(kind: .field, name: Self.display(path), a: Self.render(a), b: Self.render(b))
            node.addCause(Cause(.ordering, .certain, evidence: "the same \(a.count) items in another order"))
            add(node)
            return
        }
        // Arrays of `KEY=value` strings (Env) compare best as maps.
        if let mapA = Self.assignments(a), let mapB = Self.assignments(b) {
            for key in Set(mapA.keys).union(mapB.keys).sorted() {
                compare(mapA[key], mapB[key], path: path + "[" + key + "]")
            }
            return
        }
        for index in 0..<max(a.count, b.count) {
            compare(index < a.count ? a[index] : nil, index < b.count ? b[index] : nil, path: path + "[\(index)]")
        }
    }

    private mutating func add(_ node: DifferenceNode) {
        if nodes.count < limit { nodes.append(node) } else { omitted += 1 }
    }

    static func assignments(_ array: [Any]) -> [String: String]? {
        var map: [String: String] = [:]
        for item in array {
            guard let text = item as? String, let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                return nil
            }
            let key = String(text[..<equals])
            guard map[key] == nil else { return nil }
            map[key] = String(text[text.index(after: equals)...])
        }
        return map
    }

    static func key(_ key: String) -> String {
        key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) && !key.isEmpty
            ? key : "\"" + key.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func display(_ path: String) -> String { path.isEmpty ? "(document)" : path }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        render(a, limit: Int.max) == render(b, limit: Int.max)
    }

    /// Compact JSON for a value, bounded.
    static func render(_ value: Any, limit: Int = 200) -> String {
        let text: String
        if let string = value as? String {
            text = string
        } else if JSONSerialization.isValidJSONObject(value),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
            text = String(decoding: data, as: UTF8.self)
        } else if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) {
            text = String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        } else {
            text = "\(value)"
        }
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func parse(_ data: Data) -> Any? {
        guard let first = data.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }
}

/// JSON documents compared by key.
struct JSONComparator: ContentComparator {
    let name = "json"

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        guard let a = JSONDiff.parse(pair.a), let b = JSONDiff.parse(pair.b) else { return nil }
        var diff = JSONDiff(limit: 200)
        diff.compare(a, b)
        var node = DifferenceNode(kind: .content, name: "content", a: "\(pair.a.count) bytes",
                                  b: "\(pair.b.count) bytes", comparator: name)
        var children = diff.nodes
        for index in children.indices where children[index].causes.isEmpty {
            for cause in context.classifier.classifyContent(Data((children[index].a ?? "").utf8),
                                                            Data((children[index].b ?? "").utf8)) {
                children[index].addCause(cause)
            }
        }
        if children.isEmpty {
            // Same values; only formatting or key order differ.
            node.addCause(Cause(.ordering, .likely, evidence: "the same JSON values, serialised differently"))
        }
        node.children = children
        node.omittedChildren = diff.omitted
        return node
    }
}
