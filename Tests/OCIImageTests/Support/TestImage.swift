import ContentStore
import Foundation
@testable import OCIImage

/// A tiny image built for a test: one layer made by python3's tarfile, gzipped with `gzip -n`.
struct TestImage {
    var manifest: Descriptor
    var config: Descriptor
    var layerTar: Data
    var layerGzip: Data

    /// A layer tar holding `files` (path → content), deterministic (sorted, 0/0, mtime 0).
    static func layerTar(_ files: [String: String]) throws -> Data {
        let script = """
        import io, json, sys, tarfile
        files = json.load(sys.stdin)
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(files):
                data = files[name].encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
        sys.stdout.buffer.write(out.getvalue())
        """
        let tar = try rawStdout(script, JSONSerialization.data(withJSONObject: files))
        guard tar.count >= 1024 else { throw CocoaError(.fileReadCorruptFile) }
        return tar
    }

    /// python's stdout as bytes (ToolOutput holds text; a tar is binary).
    private static func rawStdout(_ script: String, _ input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    /// `gzip -n`: no name, no timestamp.
    static func gzip(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-c"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Write from another thread: gzip may fill its stdout pipe before reading all input.
        let writer = stdin.fileHandleForWriting
        let thread = Thread {
            try? writer.write(contentsOf: data)
            try? writer.close()
        }
        thread.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return output
    }

    /// Builds the image into `store`: a gzip layer, a config with its diff_id, a manifest.
    static func make(in store: BlobStore, files: [String: String] = ["hello.txt": "hello\n"],
                     labels: [String: String]? = nil) throws -> TestImage {
        let tar = try layerTar(files)
        let gz = try gzip(tar)
        let layer = try store.ingest(gz)
        let configuration = ImageConfiguration(
            created: "1970-01-01T00:00:00Z",
            config: ContainerConfig(env: ["PATH=/bin"], cmd: ["/bin/sh"], labels: labels),
            rootfs: .init(diffIDs: [Digest(of: tar)]),
            history: [.init(created: "1970-01-01T00:00:00Z", createdBy: "test")])
        let configData = try configuration.canonicalData()
        try store.ingest(configData)
        let config = Descriptor(mediaType: MediaType.imageConfig, of: configData)
        let manifest = ImageManifest(
            config: config,
            layers: [Descriptor(mediaType: MediaType.layerGzip, digest: layer.digest, size: layer.size)])
        let manifestData = try manifest.canonicalData()
        try store.ingest(manifestData)
        return TestImage(manifest: try manifest.descriptor(), config: config, layerTar: tar, layerGzip: gz)
    }
}
