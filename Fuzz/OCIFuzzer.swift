// libFuzzer entry point for OCI JSON decoding: the manifest, index and image configuration types
// of OCIImage, decoded the way image import reads them (ContentStore.CanonicalJSON). Built by
// scripts/fuzz-oci against the OCIImage module (compiled by SwiftPM with the fuzzer and address
// sanitizers). Whatever decodes must encode canonically, and its canonical bytes must be a fixed
// point: decoding them and encoding again gives the same bytes. (Equality of the decoded values is
// not asked: encoding drops zero and empty fields as Docker's omitempty does, so `"Interval": 0`
// comes back as nil, by design.)
import ContentStore
import Foundation
import OCIImage

private func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ data: Data) {
    guard let value = try? CanonicalJSON.decode(type, from: data) else { return }
    let encoded: Data
    do {
        encoded = try CanonicalJSON.encode(value)
    } catch {
        preconditionFailure("decoded \(T.self) does not encode: \(error)")
    }
    do {
        let again = try CanonicalJSON.decode(type, from: encoded)
        let reencoded = try CanonicalJSON.encode(again)
        precondition(reencoded == encoded, "\(T.self) encodes two ways")
    } catch {
        preconditionFailure("\(T.self) does not decode what it encoded: \(error)")
    }
    _ = CanonicalJSON.referencedDigests(in: data)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func ociFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    roundTrip(ImageManifest.self, bytes)
    roundTrip(ImageIndex.self, bytes)
    roundTrip(ImageConfiguration.self, bytes)
    roundTrip(Descriptor.self, bytes)
    return 0
}
