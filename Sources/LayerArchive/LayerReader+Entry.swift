import Foundation

extension LayerReader {
    /// Combines a header with the pax records and GNU long names that preceded it.
    func makeEntry(_ header: TarHeader, local: [String: [UInt8]], longName: [UInt8]?,
                   longLink: [UInt8]?, headerOffset: Int64) throws -> LayerEntry {
        var records = globalRecordsSnapshot
        var xattrs: [String: Data] = [:]
        for (key, value) in local {
            if key.hasPrefix("SCHILY.xattr.") {
                xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = Data(value)
            } else if key.hasPrefix("LIBARCHIVE.xattr.") {
                // libarchive's own form: URL-encoded name, base64 value.
                let name = String(key.dropFirst("LIBARCHIVE.xattr.".count)).removingPercentEncoding ?? key
                if xattrs[name] == nil, let decoded = Data(base64Encoded: Data(value)) { xattrs[name] = decoded }
            } else {
                records[key] = String(decoding: value, as: UTF8.self)
            }
        }
        if records.keys.contains(where: { $0.hasPrefix("GNU.sparse.") }) || header.typeflag == UInt8(ascii: "S") {
            throw LayerArchiveError.unsupported("sparse file \"\(String(decoding: header.name, as: UTF8.self))\" in a layer")
        }
        let pathBytes = local["path"] ?? longName ?? header.name
        let linkBytes = local["linkpath"] ?? longLink ?? header.linkName
        let path = try utf8(pathBytes)
        let kind: LayerEntry.Kind
        switch header.typeflag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
            // Old tars mark directories only by a trailing slash on a regular entry.
            kind = path.hasSuffix("/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardlink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        default: kind = .other(header.typeflag)
        }
        var size = header.size
        if let text = records["size"] {
            guard let value = Int64(text), value >= 0 else {
                throw LayerArchiveError.malformed("pax size \"\(text)\" of \"\(path)\"")
            }
            size = value
        }
        // As Go's archive/tar: only regular files (and unknown types) carry content.
        switch kind {
        case .regular, .other: break
        default: size = 0
        }
        func number(_ key: String, _ fallback: UInt32) -> UInt32 {
            records[key].flatMap { UInt32($0) } ?? fallback
        }
        return LayerEntry(
            path: path, kind: kind, mode: header.mode,
            uid: number("uid", header.uid), gid: number("gid", header.gid), size: size,
            mtime: records["mtime"].flatMap(TarHeader.paxTime) ?? header.mtime,
            linkName: try utf8(linkBytes),
            userName: records["uname"] ?? String(decoding: header.userName, as: UTF8.self),
            groupName: records["gname"] ?? String(decoding: header.groupName, as: UTF8.self),
            deviceMajor: header.deviceMajor, deviceMinor: header.deviceMinor,
            xattrs: xattrs, paxRecords: records.filter { !["path", "linkpath", "size"].contains($0.key) },
            format: local.isEmpty ? header.format : "pax", headerOffset: headerOffset)
    }

    private func utf8(_ bytes: [UInt8]) throws -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw LayerArchiveError.nonUTF8Name(String(decoding: bytes, as: UTF8.self))
        }
        return string
    }
}
