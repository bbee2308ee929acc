import ContentStore
import Foundation
import TestSupport
import Testing
@testable import Engine

/// The locks behind `RUN --mount=type=cache`, across threads as across processes (flock).
@Suite struct CacheMountStoreTests {
    /// Two first users of a new `shared` cache: the second finds it missing while the first is
    /// still making it, waits for the making only, and then both hold it at once. (Upgrading the
    /// shared lock to create made the second wait until the first let its lease go: two builds'
    /// steps ran one after the other.)
    @Test func twoFirstSharedUsersOfANewCacheHoldItAtOnce() throws {
        let scratch = try TemporaryDirectory("cache-mount-store")
        let store = CacheMountStore(root: scratch.sub("cache-mounts"), statCacheDirectory: scratch.sub("statcache"),
                                    store: try BlobStore(root: scratch.sub("store")))
        let name = CacheMountStore.cacheName(id: "race", seed: nil)
        let secondIsWaiting = DispatchSemaphore(value: 0)
        let firstHolds = DispatchSemaphore(value: 0)
        let bothHeld = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = Thread {
            // The first user's seed runs while it makes the instance: it lets the second start then.
            let slowSeed = CacheMountStore.Creation(mode: 0o755, uid: 0, gid: 0) { directory in
                secondIsWaiting.signal()
                Thread.sleep(forTimeInterval: 0.3)
                try Data("seed".utf8).write(to: URL(fileURLWithPath: directory + "/seeded"))
            }
            let lease = try? store.acquire(name: name, id: "race", sharing: .shared, creation: slowSeed)
            firstHolds.signal()
            release.wait()
            lease?.release()
        }
        first.start()
        secondIsWaiting.wait()
        let second = Thread {
            let lease = try? store.acquire(name: name, id: "race", sharing: .shared,
                                           creation: CacheMountStore.Creation(mode: 0o755, uid: 0, gid: 0, seed: nil))
            #expect(lease?.created == false, "the instance was made twice")
            #expect(FileManager.default.fileExists(atPath: (lease?.directory ?? "") + "/seeded"))
            bothHeld.signal()
            lease?.release()
        }
        second.start()
        firstHolds.wait()
        // The first still holds its lease: the second must get the cache anyway.
        let overlapped = bothHeld.wait(timeout: .now() + 20) == .success
        release.signal()
        #expect(overlapped, "the second shared user waited for the first to let go")
        if !overlapped { bothHeld.wait() }
    }
}
