import BuildJournal
import CNetworkNamespace
import ContentStore
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Recording without a pause: the origin's response goes to the step as it arrives, while the
/// same bytes are hashed and written into the store. The fetch is recorded once the blob is
/// committed. Both connections live on one event loop, so nothing here is shared.
final class StreamingRelay: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The step's side: where the response goes.
    struct Downstream {
        var handler: ProxyHandler
        var context: ChannelHandlerContext
        var request: HTTPRequestHead
    }

    private let core: ProxyCore
    private let upstreamHead: HTTPRequestHead
    private let upstreamBody: ByteBuffer?
    private let downstream: NIOLoopBound<Downstream>
    private let record: FetchRecord
    private let position: Int
    private var writer: BlobWriter?
    /// Where the body is hashed and written, in arrival order.
    private let storeQueue = DispatchQueue(label: "reprise.network-recorder.store")
    private let storeFailed = UncheckedBox(Flag())

    final class Flag { var flag = false }
    private var responseHead: HTTPResponseHead?
    private var done = false
    /// Body bytes the origin sent so far, and how many its Content-Length announced.
    private var bodyBytes: Int64 = 0
    private var announcedLength: Int64?
    /// Plain HTTP only: the origin and the step speak the same bytes, so the kernel can move them.
    private let plainHTTP: Bool

    /// Backpressure: the origin is read only while the step keeps up (its connection is
    /// writable) and the store's queue holds less than ``storeHighWater`` bytes, so a slow step
    /// or a slow disk never makes the recorder buffer a whole download in memory.
    private var pausedForStep = false
    private var pausedForStore = false
    private var readingPaused = false
    private var upstreamContext: ChannelHandlerContext?
    private let queuedBytes = UncheckedBox(QueuedBytes())
    static let storeHighWater = 32 << 20
    static let storeLowWater = 8 << 20

    /// Bytes handed to the store's queue and not yet written; touched under its lock.
    final class QueuedBytes {
        private let lock = NIOLock()
        private var count = 0
        func add(_ bytes: Int) -> Int { lock.withLock { count += bytes; return count } }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        upstreamContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        upstreamContext = nil
    }

    /// Stops or restarts reading from the origin as the two reasons to wait come and go.
    private func updateReading() {
        guard let context = upstreamContext, fastPath == .none else { return }
        let paused = pausedForStep || pausedForStore
        guard paused != readingPaused else { return }
        readingPaused = paused
        context.channel.setOption(ChannelOptions.autoRead, value: !paused).whenComplete { _ in }
        if !paused { context.read() }
    }

    init(core: ProxyCore, head: HTTPRequestHead, body: ByteBuffer?, downstream: NIOLoopBound<Downstream>,
         record: FetchRecord, position: Int) {
        self.core = core
        upstreamHead = head
        upstreamBody = body
        self.downstream = downstream
        self.record = record
        self.position = position
        plainHTTP = record.kind == .http
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(upstreamHead)), promise: nil)
        if let upstreamBody, upstreamBody.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(upstreamBody))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let target = downstream.value
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code >= 100 && head.status.code < 200 { return }
            responseHead = head
            if let length = head.headers.first(name: "content-length").flatMap({ Int64($0) }), length >= 0,
               upstreamHead.method != .HEAD, ![204, 304].contains(head.status.code) {
                announcedLength = length
                if plainHTTP, core.splicesPlainBodies, length >= Self.fastPathMinimum, !head.headers.contains(name: "transfer-encoding") {
                    // The rest of the body goes by splice once this read burst is relayed.
                    fastPath = .pending
                    context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
                }
            }
            do {
                writer = try core.store.makeWriter()
            } catch {
                fail(context: context, reason: "the journal's store: \(error)")
                return
            }
            var headers = HTTPHeaders()
            for (name, value) in head.headers where !ProxyCore.hopByHop.contains(name.lowercased()) {
                headers.add(name: name, value: value)
            }
            target.handler.beginResponse(ProxiedResponse(status: head.status, headers: headers, body: ByteBuffer()),
                                         to: target.request, context: target.context)
        case .body(let chunk):
            bodyBytes += Int64(chunk.readableBytes)
            // Hashing and writing happen on the relay's own queue, in order, so the event loop
            // only forwards bytes.
            if writer != nil {
                unstored.append(chunk)
                unstoredBytes += chunk.readableBytes
                if unstoredBytes >= Self.storeBatch { sendToStore(context: context) }
            }
            // Flushed at once: the step reads this chunk while the next one is read from the
            // origin (a flush per read burst left the step idle for up to four reads).
            target.handler.sendBody(chunk, context: target.context)
            target.context.flush()
            if !target.context.channel.isWritable, !pausedForStep {
                pausedForStep = true
                updateReading()
                let relay = UncheckedBox(self)
                target.handler.whenWritable {
                    relay.value.pausedForStep = false
                    relay.value.updateReading()
                }
            }
        case .end:
            finish(context: context)
        }
    }


    /// Chunks not yet handed to the store's queue: handed over a few at a time (one wake-up of
    /// the queue per megabyte or per read burst, not per chunk).
    private var unstored: [ByteBuffer] = []
    private var unstoredBytes = 0
    static let storeBatch = 1 << 20

    func channelReadComplete(context: ChannelHandlerContext) {
        sendToStore(context: context)
        if fastPath == .pending, !done {
            startSplicing(context: context)
        }
        context.fireChannelReadComplete()
    }

    /// Hashing and writing happen on the relay's own queue, in order, so the event loop only
    /// forwards bytes.
    private func sendToStore(context: ChannelHandlerContext) {
        guard let writer, !unstored.isEmpty else { return }
        let chunks = unstored
        let size = unstoredBytes
        unstored = []
        unstoredBytes = 0
        let box = UncheckedBox(writer)
        let failed = storeFailed
        let queued = queuedBytes
        let relay = UncheckedBox(self)
        let loop = context.eventLoop
        if queued.value.add(size) > Self.storeHighWater, !pausedForStore {
            pausedForStore = true
            updateReading()
        }
        storeQueue.async {
            if !failed.value.flag {
                do {
                    for chunk in chunks { try chunk.withUnsafeReadableBytes { try box.value.write($0) } }
                } catch {
                    failed.value.flag = true
                }
            }
            let left = queued.value.add(-size)
            if left <= Self.storeLowWater, left + size > Self.storeLowWater {
                loop.execute {
                    guard relay.value.pausedForStore else { return }
                    relay.value.pausedForStore = false
                    relay.value.updateReading()
                }
            }
        }
    }

    private func finish(context: ChannelHandlerContext) {
        guard !done, fastPath != .splicing else { return }
        if let announcedLength, bodyBytes != announcedLength {
            fail(context: context, reason: truncation(sent: bodyBytes, by: "the server"))
            return
        }
        sendToStore(context: context)
        done = true
        context.channel.close(promise: nil)
        let target = downstream.value
        guard let responseHead else {
            target.handler.respond(.message(.badGateway, "\(record.method) \(record.url): no response from the server"),
                                   to: target.request, context: target.context)
            core.transcript.add(noting("the server closed the connection without a response"), at: position)
            return
        }
        target.handler.endResponse(to: target.request, context: target.context)
        guard let writer else {
            core.transcript.add(noting("the response could not be stored"), at: position)
            return
        }
        let box = UncheckedBox(writer)
        let failed = storeFailed
        let core = self.core
        var answered = record
        answered.status = Int(responseHead.status.code)
        answered.responseHeaders = responseHead.headers.filter { !ProxyCore.hopByHop.contains($0.name.lowercased()) }
            .map { FetchRecord.Header(name: $0.name, value: $0.value) }
        let base = answered
        let position = self.position
        storeQueue.async {
            var fetch = base
            do {
                guard !failed.value.flag else { throw StoreFailure() }
                let committed = try box.value.commit()
                fetch.body = committed.digest
                fetch.size = committed.size
            } catch {
                box.value.abort()
                fetch.note = "the response could not be stored: \(error)"
            }
            core.transcript.add(fetch, at: position)
        }
    }

    private func noting(_ note: String) -> FetchRecord {
        var fetch = record
        fetch.note = note
        return fetch
    }

    /// The note of a body cut short, with how much of it came.
    private func truncation(sent: Int64, by whom: String) -> String {
        let announced = announcedLength.map { " of \($0)" } ?? ""
        return "the body was cut short: \(whom) closed the connection after \(sent)\(announced) bytes"
    }

    private func fail(context: ChannelHandlerContext, reason given: String) {
        guard !done, fastPath != .splicing else { return }
        done = true
        var reason = given
        if responseHead != nil, let announcedLength, bodyBytes < announcedLength, !given.contains("cut short") {
            reason = truncation(sent: bodyBytes, by: "the server") + " (\(given))"
        }
        sendToStore(context: context)
        if let writer {
            // After the queued chunks: the writer is the store queue's while they are written.
            let box = UncheckedBox(writer)
            storeQueue.async { box.value.abort() }
        }
        context.channel.close(promise: nil)
        let target = downstream.value
        core.transcript.add(noting("upstream error: \(reason)"), at: position)
        if responseHead == nil {
            target.handler.respond(.message(.badGateway, "\(record.method) \(record.url): \(reason)"),
                                   to: target.request, context: target.context)
        } else {
            // Half a response went out: the step must see the connection break, not a short body.
            target.context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            if responseHead == nil {
                fail(context: context, reason: "the server closed the connection without a response")
            } else {
                finish(context: context)
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, reason: "\(error)")
    }

    // MARK: The plain-HTTP fast path

    /// Bodies announced at least this long go by splice once their first read burst is relayed.
    static let fastPathMinimum: Int64 = 1 << 20
    /// How long the spliced transfer may move nothing before it is given up.
    static let spliceIdleMilliseconds: Int32 = 60_000

    enum FastPath { case none, pending, draining, splicing, ended }
    private var fastPath = FastPath.none

    /// Hands the rest of the body to a thread that moves it from the origin's socket to the
    /// step's with splice(2), tee(2)'ing every byte into a pipe the store's queue hashes and
    /// writes: the event loop and the step's path never copy it through user space. The origin
    /// connection stops being read by NIO (auto-read off), and the step's connection has its
    /// buffered bytes written first, so the spliced bytes follow them in order.
    private func startSplicing(context: ChannelHandlerContext) {
        let target = downstream.value
        guard let writer, let announcedLength, bodyBytes < announcedLength,
              let originLocal = context.channel.localAddress, let originPeer = context.channel.remoteAddress,
              let stepLocal = target.context.channel.localAddress, let stepPeer = target.context.channel.remoteAddress
        else {
            resumeWithoutSplicing(context: context)
            return
        }
        fastPath = .draining
        let relay = UncheckedBox(self)
        let upstream = UncheckedBox(context)
        let loop = context.eventLoop
        let writerBox = UncheckedBox(writer)
        let storeFailed = self.storeFailed
        let relayedBeforeDrain = bodyBytes
        target.handler.drain(context: target.context).assumeIsolated().whenComplete { drained in
            guard !self.done, self.fastPath == .draining else { return }
            // NIO reads what is left on a connection the origin closed even with auto-read off:
            // what came while the step's side drained went out through NIO; drain that too.
            if case .success = drained, self.bodyBytes != relayedBeforeDrain {
                self.fastPath = .pending
                self.startSplicing(context: upstream.value)
                return
            }
            let remaining = announcedLength - self.bodyBytes
            let origin = originLocal.withSockAddr { local, _ in originPeer.withSockAddr { peer, _ in cnetns_find_socket(local, peer) } }
            let step = stepLocal.withSockAddr { local, _ in stepPeer.withSockAddr { peer, _ in cnetns_find_socket(local, peer) } }
            var copy: [Int32] = [-1, -1]
            guard case .success = drained, origin >= 0, step >= 0, cnetns_pipe(&copy, 4 << 20) == 0 else {
                if origin >= 0 { close(origin) }
                if step >= 0 { close(step) }
                relay.value.fastPath = .pending
                relay.value.resumeWithoutSplicing(context: upstream.value)
                return
            }
            let (copyOut, copyIn) = (copy[0], copy[1])
            // From here the socket is the splicing thread's alone: NIO lets go of its descriptor
            // (the duplicate keeps the connection open) and never reads it again.
            self.fastPath = .splicing
            upstream.value.channel.close(promise: nil)
            self.sendToStore(context: upstream.value)
            // The store's queue reads the copy after the chunks already queued, in order.
            self.storeQueue.async {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate(); close(copyOut) }
                while true {
                    let count = read(copyOut, buffer.baseAddress, buffer.count)
                    if count == 0 { break }
                    if count < 0 {
                        if errno == EINTR { continue }
                        storeFailed.value.flag = true
                        break
                    }
                    if storeFailed.value.flag { continue }
                    do {
                        try writerBox.value.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    } catch {
                        storeFailed.value.flag = true
                    }
                }
            }
            Thread.detachNewThread {
                var moved: Int64 = 0
                var error: Int32 = 0
                let status = cnetns_splice_relay(origin, step, copyIn, remaining, Self.spliceIdleMilliseconds,
                                                 &moved, &error)
                close(copyIn)
                close(origin)
                close(step)
                let outcome = (status, moved, error)
                loop.execute { relay.value.splicingEnded(outcome.0, moved: outcome.1, error: outcome.2, context: upstream.value) }
            }
        }
    }

    /// The fast path could not start (a descriptor not found): NIO reads the rest as usual.
    private func resumeWithoutSplicing(context: ChannelHandlerContext) {
        fastPath = .none
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    private func splicingEnded(_ status: Int32, moved: Int64, error: Int32, context: ChannelHandlerContext) {
        fastPath = .ended
        bodyBytes += moved
        core.splicedBytes.withLockedValue { $0 += moved }
        switch Int(status) {
        case Int(CNETNS_RELAY_DONE):
            finish(context: context)
        case Int(CNETNS_RELAY_SOURCE_ENDED):
            fail(context: context, reason: truncation(sent: bodyBytes, by: "the server"))
        case Int(CNETNS_RELAY_TARGET_FAILED):
            fail(context: context, reason: truncation(sent: bodyBytes, by: "the step")
                 + " (\(String(cString: strerror(error))))")
        case Int(CNETNS_RELAY_STALLED):
            fail(context: context, reason: "the body was cut short: nothing came for \(Self.spliceIdleMilliseconds / 1000) s after \(bodyBytes)"
                 + (announcedLength.map { " of \($0)" } ?? "") + " bytes")
        case Int(CNETNS_RELAY_COPY_FAILED):
            fail(context: context, reason: "the copy for the journal's store failed after \(bodyBytes) bytes (\(String(cString: strerror(error))))")
        default:
            fail(context: context, reason: truncation(sent: bodyBytes, by: "the server")
                 + " (reading it: \(String(cString: strerror(error))))")
        }
    }
}

struct StoreFailure: Error, CustomStringConvertible {
    var description: String { "writing the body into the journal's store failed" }
}

/// Hands a value that is used by one thread at a time to a closure that must be Sendable.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
