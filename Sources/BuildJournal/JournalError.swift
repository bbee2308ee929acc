/// Errors of the journal, worded for the person at the terminal.
public enum JournalError: Error, CustomStringConvertible, Sendable, Equatable {
    case newerFormat(path: String, found: Int, supported: Int)
    case newerSchema(path: String, unknownMigrations: [String])
    case notAJournal(String)
    case noSuchBuild(String)
    case ambiguousBuild(String, candidates: [String])
    case noSuchImage(String)
    case corruptRecord(digest: String, reason: String)
    case damagedIndex(path: String, reason: String)
    case damagedRefs(root: String, refs: [String])

    public var description: String {
        switch self {
        case .newerFormat(let path, let found, let supported):
            return "\(path): journal format \(found) was written by a newer Reprise (this one reads up to \(supported)); upgrade Reprise to use it"
        case .newerSchema(let path, let unknown):
            return "\(path): the index has migrations this Reprise does not know (\(unknown.joined(separator: ", "))); it was written by a newer Reprise"
        case .notAJournal(let path):
            return "\(path) is not a Reprise journal (no journal.json)"
        case .noSuchBuild(let reference):
            return "no build matches '\(reference)' (see 'reprise journal ls')"
        case .ambiguousBuild(let reference, let candidates):
            return "'\(reference)' matches several builds: \(candidates.joined(separator: ", "))"
        case .noSuchImage(let reference):
            return "no image named '\(reference)' in the journal (see 'reprise image ls')"
        case .corruptRecord(let digest, let reason):
            return "record \(digest) cannot be read: \(reason)"
        case .damagedRefs(let root, let refs):
            return "\(root): refusing to collect garbage while refs are damaged (\(refs.joined(separator: ", "))): what they named would be deleted; run 'reprise journal reindex' first"
        case .damagedIndex(let path, let reason):
            return "\(path): the journal's index cannot be read (\(reason)); 'reprise journal fsck' reports the damage and 'reprise journal reindex' rebuilds the index from the refs and blobs"
        }
    }
}
