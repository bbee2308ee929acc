import BuildJournal
import NIOCore

/// The step's only name server (`nameserver 127.0.0.1` in its resolv.conf): answers every A
/// query with an address of its own for that name (``SyntheticNames``), AAAA and everything
/// else with no records. A connection to such an address reaches the transparent listener,
/// which knows the name again; the recorder itself resolves the real name when it connects, so
/// the step never needs the outside's DNS and every answer it got is in the record.
final class DNSResponder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let core: ProxyCore

    init(core: ProxyCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let answer = answer(envelope.data) else { return }
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: answer)),
                              promise: nil)
    }

    /// The response to one query, or nil for something that is not a query.
    func answer(_ query: ByteBuffer) -> ByteBuffer? {
        var reader = query
        guard let id = reader.readInteger(as: UInt16.self), let flags = reader.readInteger(as: UInt16.self),
              flags & 0x8000 == 0, let questions = reader.readInteger(as: UInt16.self), questions == 1 else { return nil }
        reader.moveReaderIndex(forwardBy: 6)
        let questionStart = reader.readerIndex
        var labels: [String] = []
        while let length = reader.readInteger(as: UInt8.self), length > 0 {
            guard length < 64, let label = reader.readString(length: Int(length)) else { return nil }
            labels.append(label)
        }
        guard let type = reader.readInteger(as: UInt16.self), reader.readInteger(as: UInt16.self) != nil else { return nil }
        let question = query.getSlice(at: questionStart, length: reader.readerIndex - questionStart)!
        let name = labels.joined(separator: ".").lowercased()

        var response = ByteBuffer()
        response.writeInteger(id)
        response.writeInteger(UInt16(0x8180) | (flags & 0x0100))
        response.writeInteger(UInt16(1))
        let isA = type == 1 && !name.isEmpty
        response.writeInteger(UInt16(isA ? 1 : 0))
        response.writeInteger(UInt16(0))
        response.writeInteger(UInt16(0))
        var copy = question
        response.writeBuffer(&copy)
        if isA {
            let address = core.names.address(for: name)
            core.transcript.add(FetchRecord(kind: .dns, method: "A", url: name, addresses: [address]))
            response.writeInteger(UInt16(0xC00C))
            response.writeInteger(UInt16(1))
            response.writeInteger(UInt16(1))
            response.writeInteger(UInt32(60))
            response.writeInteger(UInt16(4))
            for part in address.split(separator: ".") { response.writeInteger(UInt8(part)!) }
        }
        return response
    }
}
