#if canImport(Glibc)
import Glibc
#endif
import CSandbox

/// Reads everything a sandbox sends back over its four pipes with one poll(2) loop: the payload's
/// stdout and stderr (streamed to the handler as they come), the setup error report, and the
/// payload's wait status from pid 1. Closes each descriptor when it reaches EOF.
struct SandboxOutputCollector {
    private(set) var stdout: [UInt8] = []
    private(set) var stderr: [UInt8] = []
    private(set) var setupFailure: csb_setup_error?
    private(set) var payloadStatus: Int32?

    private var errorBytes: [UInt8] = []
    private var statusBytes: [UInt8] = []
    private var descriptors: [Int32]
    private let pidfd: Int32
    private let output: (@Sendable (StepOutputChunk) -> Void)?

    private enum Channel: Int { case error = 0, status, stdout, stderr }

    init(errorDescriptor: Int32, statusDescriptor: Int32, stdoutDescriptor: Int32,
         stderrDescriptor: Int32, pidfd: Int32, output: (@Sendable (StepOutputChunk) -> Void)?)
    {
        descriptors = [errorDescriptor, statusDescriptor, stdoutDescriptor, stderrDescriptor]
        self.pidfd = pidfd
        self.output = output
    }

    /// Returns when every pipe is at EOF, or shortly after pid 1 has exited. The latter guards
    /// against a write end that escaped the namespace (which the kernel's teardown would not
    /// close): once pid 1 is gone everything inside is dead, so only buffered data remains.
    mutating func collect() {
        var initExited = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while descriptors.contains(where: { $0 >= 0 }) {
            var polled = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if !initExited { polled.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&polled, nfds_t(polled.count), initExited ? 200 : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 { break }  // pid 1 exited and nothing more arrived
            if !initExited && polled[descriptors.count].revents != 0 { initExited = true }
            for (index, entry) in polled.prefix(descriptors.count).enumerated()
                where entry.fd >= 0 && entry.revents != 0
            {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count <= 0 {
                    close(entry.fd)
                    descriptors[index] = -1
                    continue
                }
                receive(Array(buffer[..<count]), on: Channel(rawValue: index)!)
            }
        }
        for fd in descriptors where fd >= 0 { close(fd) }
        descriptors = descriptors.map { _ in -1 }
        decodeReports()
    }

    private mutating func receive(_ bytes: [UInt8], on channel: Channel) {
        switch channel {
        case .error: errorBytes += bytes
        case .status: statusBytes += bytes
        case .stdout:
            stdout += bytes
            output?(StepOutputChunk(stream: .stdout, bytes: bytes))
        case .stderr:
            stderr += bytes
            output?(StepOutputChunk(stream: .stderr, bytes: bytes))
        }
    }

    private mutating func decodeReports() {
        if errorBytes.count >= MemoryLayout<csb_setup_error>.size {
            setupFailure = errorBytes.withUnsafeBytes {
                $0.loadUnaligned(as: csb_setup_error.self)
            }
        }
        if statusBytes.count >= MemoryLayout<Int32>.size {
            payloadStatus = statusBytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        }
    }
}
