import Dispatch
import Foundation
import Synchronization

/// Threads of their own that run jobs in the order they were submitted, each job on whichever
/// thread is free.
///
/// Dispatch's global queues run about one thread per core, and the thread that hands them work
/// is often one of those (a build step runs on one): on two cores, the blocks a COPY step's
/// gzip handed to the global queue were deflated by one thread at a time while the step's own
/// thread, producing the tar, waited for them (1.3 cores busy of 2). These threads are the
/// kernel's to schedule next to the producer.
final class WorkerThreads: Sendable {
    /// Jobs not yet taken, oldest first; nil tells a thread to end.
    private let jobs = Mutex<[(@Sendable () -> Void)?]>([])
    /// One signal per entry in `jobs`.
    private let available = DispatchSemaphore(value: 0)
    let count: Int

    /// Starts `count` threads; they end after `close()`.
    init(count: Int) {
        self.count = max(1, count)
        for index in 0..<self.count {
            let thread = Thread { [self] in self.run() }
            thread.name = "reprise-worker-\(index)"
            thread.start()
        }
    }

    /// Runs `job` on the first thread free.
    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    /// Ends every thread once the jobs submitted before have started (it does not wait).
    func close() {
        jobs.withLock { jobs in
            for _ in 0..<count { jobs.append(nil) }
        }
        for _ in 0..<count { available.signal() }
    }

    private func run() {
        while true {
            available.wait()
            guard let job = jobs.withLock({ $0.removeFirst() }) else { return }
            job()
        }
    }
}
