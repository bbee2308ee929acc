import Foundation
import TestSupport
import Testing

/// A COPY's lower directory is made from the content blobs (`LayerMaterializer`), in the build
/// that wrote the layer and, through the recipe the journal keeps, in any later one; it is never
/// kept in `layers/`. A RUN step must see the same tree each time, down to link counts and inode
/// identity. (That a materialized tree equals the extracted layer: LayerMaterializerTests.)
@Suite struct LayerMaterializationTests {
    @Test func aRunSeesTheSameCopiedTreeWhicheverWayItsLowerWasMade() throws {
        let workspace = try BuildWorkspace("layer-materialize")
        let run = #"RUN cd /ctx && find . | sort | while read -r f; do stat -c '%n %A %u %g %Y %s %h' "$f"; done > /listing && [ "$(stat -c %i a.txt)" != "$(stat -c %i same.txt)" ] && echo distinct >> /listing"#
        // The Dockerfile lives outside the context: changing it must leave the COPY (which also
        // copies the context directory's own metadata) cached.
        let dockerfile = workspace.sub("Dockerfile")
        try "FROM busybox\nCOPY . /ctx/\n\(run)\n".write(toFile: dockerfile, atomically: true, encoding: .utf8)
        let directory = try workspace.context("unused\n", files: [
            "a.txt": "same bytes\n", "same.txt": "same bytes\n", "dir/run.sh": "#!/bin/sh\necho hi\n",
            "dir/secret": "s\n", "empty": "", "big.bin": String(repeating: "reprise ", count: 400_000),
            ".dockerignore": "Dockerfile\n.dockerignore\n",
        ])
        chmod(directory + "/dir/run.sh", 0o755)
        chmod(directory + "/dir/secret", 0o600)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "a.txt")

        func listing(output name: String) throws -> String {
            let layout = workspace.sub(name)
            let built = try workspace.build(["-f", dockerfile, "--output", "type=oci,dest=\(layout),tar=false", directory])
            try #require(built.status == 0, "\(built.stderr)")
            return try String(contentsOfFile: try workspace.unpack(layout) + "/listing", encoding: .utf8)
        }
        /// Another RUN text each time (the shell collapses the spaces), so the RUN is not cached.
        var spaces = " "
        func changeTheRun() throws {
            let text = try String(contentsOfFile: dockerfile, encoding: .utf8)
            try text.replacingOccurrences(of: "echo\(spaces)distinct", with: "echo\(spaces) distinct")
                .write(toFile: dockerfile, atomically: true, encoding: .utf8)
            spaces += " "
        }
        /// Extracted layers in `layers/` that hold the copied tree (the COPY's lower, kept).
        func keptCopyLowers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/layers")
                .filter { FileManager.default.fileExists(atPath: workspace.journal + "/layers/" + $0 + "/ctx/big.bin") }
        }
        // First build: the COPY runs, and the RUN's lower is made from the blobs in the build's
        // scratch, not kept in the journal.
        let materialized = try listing(output: "first")
        #expect(try keptCopyLowers().isEmpty, "the COPY's lower stayed in layers/")
        let recipes = workspace.journal + "/recipes/sha256"
        #expect(try FileManager.default.contentsOfDirectory(atPath: recipes).count == 1)

        // Another process, the COPY cached and the RUN not: the lower is made again from the
        // journal's recipe (nothing in layers/ to reuse, and nothing left there).
        try changeTheRun()
        let fromRecipe = try listing(output: "second")
        var steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.map { $0["outcome"] as? String }.suffix(2) == ["cached", "succeeded"], "\(steps)")
        #expect(try keptCopyLowers().isEmpty, "the COPY's lower was extracted instead of made from its recipe")
        #expect(fromRecipe == materialized)

        // gc keeps the recipe and what it names (the tree), and fsck finds it whole.
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: recipes).count == 1)
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")

        // The extracted layers are a cache: without them the lower is made again the same way.
        try FileManager.default.removeItem(atPath: workspace.journal + "/layers")
        try changeTheRun()
        let again = try listing(output: "third")
        steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.map { $0["outcome"] as? String }.suffix(2) == ["cached", "succeeded"], "\(steps)")
        #expect(try keptCopyLowers().isEmpty)
        #expect(again == materialized)

        #expect(materialized.hasSuffix("distinct\n"), "\(materialized)")
        let files = materialized.split(separator: "\n").filter { $0.contains(" -r") }
        #expect(files.count == 6, "\(materialized)")
        // One link each: no file shares an inode with the store or with another file.
        #expect(files.allSatisfy { $0.hasSuffix(" 1") }, "\(materialized)")
        #expect(materialized.contains("./dir/run.sh -rwxr-xr-x 0 0 "))
        #expect(materialized.contains("./dir/secret -rw------- 0 0 "))
    }

    /// A RUN's lower made of metadata-only files over the store's blobs (the default where the
    /// kernel has data-only lowers) gives the image a lower of copies gives: files read, changed
    /// (a chmod copies up the whole file), moved and appended to, and USER resolved through a
    /// COPY'd /etc/passwd, which the sandbox reads on the host before the step starts.
    @Test(.enabled(if: LayerMaterializationTests.metadataLowersInMemory, "needs Linux 6.8, a tmpfs /dev/shm and REPRISE_DATA_ONLY_LOWERS unset"))
    func aRunOverMetadataOnlyFilesMakesTheImageCopiesMake() throws {
        let workspace = try BuildWorkspace("data-only-lowers")
        let directory = try workspace.context("""
            FROM busybox
            COPY ctx/ /ctx/
            COPY passwd /etc/passwd
            RUN chmod 600 /ctx/a.txt && echo more >> /ctx/b.txt && mv /ctx/dir /ctx/moved && md5sum /ctx/big.bin > /sum \
                && grep -c reprise /ctx/moved/c.txt >> /sum && rm /ctx/gone.txt
            RUN --security=insecure grep -c "lowerdir+=m" /proc/self/mountinfo > /insecure-merges || true
            USER meta
            RUN id -u > /tmp/uid && (cat /ctx/a.txt 2>/dev/null || echo denied) >> /tmp/uid \
                && (grep -c "lowerdir+=m" /proc/self/mountinfo > /tmp/merges || true)
            """, files: [
                "ctx/a.txt": "alpha\n", "ctx/b.txt": "beta\n", "ctx/dir/c.txt": "reprise\nreprise\n",
                "ctx/gone.txt": "x\n", "ctx/big.bin": String(repeating: "0123456789", count: 300_000),
                "passwd": "root:x:0:0:root:/root:/bin/sh\nmeta:x:4242:4242::/tmp:/bin/sh\n",
            ])
        chmod(directory + "/ctx/a.txt", 0o644)
        func image(_ name: String, environment: [String: String]) throws -> (digest: String, rootfs: String) {
            let layout = workspace.sub(name)
            let built = try workspace.build(["--no-cache", "--allow", "security.insecure", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
                                             "--output", "type=oci,dest=\(layout),tar=false", directory],
                                            environment: environment)
            try #require(built.status == 0, "\(built.stderr)")
            let index = try String(contentsOfFile: layout + "/index.json", encoding: .utf8)
            return (index, try workspace.unpack(layout))
        }
        let copies = try image("copies", environment: ["REPRISE_DATA_ONLY_LOWERS": "0"])
        let redirected = try image("redirected", environment: [:])
        // The images differ in one file only: whether the step's root had a metadata-only lower
        // (the root overlay names the merge `m<N>` in place of the lower `l<N>`).
        #expect(try String(contentsOfFile: copies.rootfs + "/tmp/merges", encoding: .utf8) == "0\n")
        #expect(try String(contentsOfFile: redirected.rootfs + "/tmp/merges", encoding: .utf8) == "1\n",
                "the RUN did not get a metadata-only lower")
        // A step that may mount gets complete lowers: no overlay below its root's.
        #expect(try String(contentsOfFile: redirected.rootfs + "/insecure-merges", encoding: .utf8) == "0\n")
        // Everything else is the same, bytes and attributes.
        try Tool.check(["diff", "-r", "--no-dereference", "--exclude=*merges", copies.rootfs, redirected.rootfs])
        func attributes(_ root: String) throws -> String {
            try Tool.check(["sh", "-c", "cd \"$0\" && find . ! -name \"*merges\" -printf '%p %M %U %G %s %T@ %l\\n' | sort", root]).stdout
        }
        #expect(try attributes(copies.rootfs) == attributes(redirected.rootfs))
        let sum = try String(contentsOfFile: redirected.rootfs + "/sum", encoding: .utf8)
        #expect(sum.hasPrefix(Self.md5(String(repeating: "0123456789", count: 300_000))), "\(sum)")
        #expect(sum.hasSuffix("\n2\n"), "\(sum)")
        // USER meta ran (uid 4242) and could not read the file the chmod closed to it.
        let uid = try String(contentsOfFile: redirected.rootfs + "/tmp/uid", encoding: .utf8)
        #expect(uid == "4242\ndenied\n", "\(uid)")
        #expect(try String(contentsOfFile: redirected.rootfs + "/ctx/b.txt", encoding: .utf8) == "beta\nmore\n")
    }

    /// The metadata-only lower lives on /dev/shm: a directory there lists its entries in the order
    /// they were made, so each directory is made in listing order by one worker — a RUN listing
    /// a copied directory unsorted (`find`) sees the same order in every build. The build leaves
    /// no directory in /dev/shm, and removes those of builds that were killed.
    @Test(.enabled(if: LayerMaterializationTests.metadataLowersInMemory, "needs Linux 6.8, a tmpfs /dev/shm and REPRISE_DATA_ONLY_LOWERS unset"))
    func aCopiedDirectoryListsInAFixedOrderAndNothingIsLeftInSharedMemory() throws {
        let workspace = try BuildWorkspace("data-only-order")
        // Names whose byte order is not their creation order anywhere else; several batches' worth.
        var files: [String: String] = [:]
        for index in 0..<300 { files["many/\((index * 7919) % 1000)-\(index)"] = "\(index)\n" }
        let directory = try workspace.context("FROM busybox\nCOPY many/ /many/\nRUN find /many > /order\n", files: files)
        // A directory a killed build left (nobody holds its owner lock), and one a running build
        // in another PID namespace owns (this process holds the lock): only the first may go.
        let abandoned = "/dev/shm/reprise-lowers-1-abandoned-\(getpid())"
        let running = "/dev/shm/reprise-lowers-1-running-\(getpid())"
        for path in [abandoned, running] {
            try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
            chmod(path, 0o700)
            FileManager.default.createFile(atPath: path + "/.owner", contents: nil)
        }
        let lock = open(running + "/.owner", O_RDONLY)
        try #require(lock >= 0 && flock(lock, LOCK_EX) == 0)
        defer {
            close(lock)
            try? FileManager.default.removeItem(atPath: running)
        }

        func order(_ name: String) throws -> [String] {
            let layout = workspace.sub(name)
            let built = try workspace.build(["--no-cache", "--output", "type=oci,dest=\(layout),tar=false", directory])
            try #require(built.status == 0, "\(built.stderr)")
            return try String(contentsOfFile: try workspace.unpack(layout) + "/order", encoding: .utf8)
                .split(separator: "\n").map(String.init).filter { $0 != "/many" }.map { String($0.dropFirst("/many/".count)) }
        }
        let first = try order("first")
        let second = try order("second")
        #expect(first == second)
        let sorted = files.keys.map { String($0.dropFirst("many/".count)) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(first == sorted || first == sorted.reversed(), "not made in listing order: \(first.prefix(10))")
        #expect(!FileManager.default.fileExists(atPath: abandoned), "a killed build's lowers stayed in /dev/shm")
        #expect(FileManager.default.fileExists(atPath: running + "/inner"), "a running build's lowers were removed")
        // What else remains there is owned by a running process (other tests' builds), never ours.
        for name in try FileManager.default.contentsOfDirectory(atPath: "/dev/shm") where name.hasPrefix("reprise-lowers-") {
            let owner = open("/dev/shm/" + name + "/.owner", O_RDONLY)
            defer { if owner >= 0 { close(owner) } }
            #expect(owner >= 0 && flock(owner, LOCK_EX | LOCK_NB) != 0, "\(name) outlived its build")
        }
    }

    /// Whether builds here make metadata-only lowers on /dev/shm: Linux 6.8 or newer, /dev/shm a
    /// tmpfs, and no REPRISE_DATA_ONLY_LOWERS setting.
    static var metadataLowersInMemory: Bool {
        guard ProcessInfo.processInfo.environment["REPRISE_DATA_ONLY_LOWERS"] == nil,
              (try? Tool.check(["stat", "-f", "-c", "%T", "/dev/shm"]).stdout) == "tmpfs\n",
              let release = try? Tool.check(["uname", "-r"]).stdout else { return false }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return numbers.count == 2 && (numbers[0], numbers[1]) >= (6, 8)
    }

    static func md5(_ text: String) -> String {
        let result = try? Tool.check(["md5sum"], input: Data(text.utf8))
        return String((result?.stdout ?? "").prefix(32))
    }
}
