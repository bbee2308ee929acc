import BuildJournal
import ContentStore
import Dispatch
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
        guard let context = upstreamContext else { return }
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
        guard !done else { return }
        sendToStore(context: context)
        done = true
        context.close(promise: nil)
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

    private func fail(context: ChannelHandlerContext, reason: String) {
        guard !done else { return }
        done = true
        writer?.abort()
        context.close(promise: nil)
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
}

struct StoreFailure: Error, CustomStringConvertible {
    var description: String { "writing the body into the journal's store failed" }
}

/// Hands a value that is used by one thread at a time to a closure that must be Sendable.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
