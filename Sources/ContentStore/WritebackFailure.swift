import Synchronization

/// The errno of a failed writeback hint (`BlobStore.startWriteback`), kept for the next
/// `synchronize()`: syncfs reports a writeback error to one caller only, and a hint that saw it
/// must not leave the real sync reporting success.
final class WritebackFailure: Sendable {
    private let errno = Atomic<Int32>(0)

    func record(_ value: Int32) {
        errno.store(value == 0 ? -1 : value, ordering: .relaxed)
    }

    /// The error recorded since the last call, 0 when none; clears it.
    func take() -> Int32 {
        errno.exchange(0, ordering: .relaxed)
    }
}
