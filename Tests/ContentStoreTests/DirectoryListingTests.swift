#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import TestSupport
import Testing

/// Found by scripts/reliability: `journal gc` crashed with SIGSEGV in `BlobStore.list()` while
/// four builds ran. Reading a directory entry's name copied the whole 256-byte `d_name`, past the
/// end of the record the kernel wrote (and of readdir's buffer when the record is its last).
@Suite struct DirectoryListingTests {
    /// A record of exactly `d_reclen` bytes placed against an inaccessible page: any read past
    /// the record faults, so this crashed with the old way of reading names.
    @Test func anEntryNameIsReadWithinItsRecord() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let name = Array("blob".utf8) + [0]
        let recordLength = (nameOffset + name.count + 7) / 8 * 8
        let record = memory + page - recordLength
        memset(record, 0, recordLength)
        record.storeBytes(of: UInt16(recordLength), toByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!,
                          as: UInt16.self)
        for (index, byte) in name.enumerated() { record.storeBytes(of: byte, toByteOffset: nameOffset + index, as: UInt8.self) }
        let entry = record.assumingMemoryBound(to: dirent.self)
        #expect(FileIO.entryName(entry) == Array("blob".utf8))
    }

    /// A store-sized directory with names of every length lists exactly as Foundation lists it.
    @Test func aLargeDirectoryListsCompletely() throws {
        let directory = try TemporaryDirectory()
        var expected = Set<String>()
        for index in 0..<3000 {
            let name = String(repeating: "abcdefghij", count: 26).prefix(1 + index % 255) + "-\(index)"
            let shortened = String(name.suffix(255))
            expected.insert(shortened)
            #expect(FileManager.default.createFile(atPath: directory.path + "/" + shortened, contents: nil))
        }
        #expect(Set(try FileIO.listDirectory(directory.path)) == expected)
    }
}
