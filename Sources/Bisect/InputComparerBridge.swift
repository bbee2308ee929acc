import ContentStore
import DifferenceModel
import Differ

/// The input changes between two recorded builds, as bisect lists them.
enum InputComparerBridge {
    static func changes(_ a: RecordedBuild, _ b: RecordedBuild, store: BlobStore, detailLines: Int = 0) throws -> [InputChange] {
        try InputComparer(store: store, maxDetailLines: detailLines).compare(a.record, a.steps, b.record, b.steps)
    }
}
