import Foundation
import ParmanaCore

/// Reads a file line by line in bounded memory (exports of any size).
public enum LineReader {
    /// Calls `body` with each non-empty line (without its newline) and its 1-based number.
    public static func forEach(_ path: String, _ body: ([UInt8], Int) throws(ParmanaError) -> Void) throws(ParmanaError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ParmanaError(.io, "cannot read \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        var number = 0
        while true {
            let data: Data
            do { data = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw ParmanaError(.io, "cannot read \(path): \(error)") }
            if data.isEmpty { break }
            buffer += data
            var start = 0
            while let nl = buffer[start...].firstIndex(of: 0x0A) {
                number += 1
                if nl > start { try body(Array(buffer[start..<nl]), number) }
                start = nl + 1
            }
            buffer.removeFirst(start)
        }
        if !buffer.isEmpty {
            number += 1
            try body(buffer, number)
        }
    }
}

/// A file (written atomically on ``close()``) or standard output, for large outputs.
public final class OutputSink {
    let path: String?
    let handle: FileHandle
    let temporary: String?
    var buffer: [UInt8] = []

    public init(_ path: String?) throws(ParmanaError) {
        self.path = path
        if let path, FileIO.isDeviceOrPipe(path) {
            // /dev/null, /dev/stdout, a FIFO: written into, never renamed over.
            guard let h = FileHandle(forWritingAtPath: path) else { throw ParmanaError(.io, "cannot write \(path)") }
            handle = h
            temporary = nil
        } else if let path {
            let tmp = path + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o644]),
                  let h = FileHandle(forWritingAtPath: tmp) else { throw ParmanaError(.io, "cannot write \(path)") }
            handle = h
            temporary = tmp
        } else {
            handle = FileHandle.standardOutput
            temporary = nil
        }
    }

    /// Writes one line (a newline is appended).
    public func write(_ line: [UInt8]) throws(ParmanaError) {
        buffer += line
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { try flush() }
    }

    func flush() throws(ParmanaError) {
        do { try handle.write(contentsOf: Data(buffer)) } catch { throw ParmanaError(.io, "cannot write \(path ?? "standard output"): \(error)") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; a file is synced and renamed into place.
    public func close() throws(ParmanaError) {
        try flush()
        guard let path, let temporary else {
            if path != nil { try? handle.close() }
            return
        }
        do {
            try handle.synchronize()
            try handle.close()
        } catch { throw ParmanaError(.io, "cannot write \(path): \(error)") }
        guard rename(temporary, path) == 0 else { throw ParmanaError(.io, "cannot write \(path)") }
    }
}
