import Foundation
import ParmanaCore

/// File access for the command line. Every failure is a ``ParmanaError`` with code `io_error`.
public enum FileIO {
    /// Reads a file, or standard input for `-` or nil.
    public static func read(_ path: String?) throws(ParmanaError) -> [UInt8] {
        if path == nil || path == "-" {
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let data = FileManager.default.contents(atPath: path!) else {
            throw ParmanaError(.io, "cannot read \(path!)")
        }
        return Array(data)
    }

    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Writes atomically (temp file + rename) with the given POSIX mode.
    public static func write(_ bytes: [UInt8], to path: String, mode: Int = 0o644, overwrite: Bool = true) throws(ParmanaError) {
        if !overwrite, exists(path) {
            throw ParmanaError(.io, "\(path) already exists; refusing to overwrite it")
        }
        // A device or FIFO (`--out /dev/null`, `/dev/stdout`, a pipe) is written into, never
        // replaced: renaming a file over /dev/null would turn it into a regular file.
        if isDeviceOrPipe(path) {
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ParmanaError(.io, "cannot write \(path)") }
            do {
                try handle.write(contentsOf: Data(bytes))
                try handle.close()
            } catch {
                throw ParmanaError(.io, "cannot write \(path): \(error)")
            }
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try createDirectory(dir) }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes), attributes: [.posixPermissions: mode]) else {
            throw ParmanaError(.io, "cannot write \(path)")
        }
        // createFile honours the umask; set the mode explicitly.
        chmod(tmp, mode_t(mode))
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw ParmanaError(.io, "cannot write \(path)")
        }
    }

    /// Whether `path` exists and is neither a regular file nor a directory (a device such
    /// as /dev/null, a FIFO, a socket): output goes into it and never replaces it.
    public static func isDeviceOrPipe(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    public static func createDirectory(_ path: String, mode: Int = 0o755) throws(ParmanaError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw ParmanaError(.io, "cannot create directory \(path)")
        }
    }

    /// Loads a private key file, refusing one that group or others can read.
    public static func loadPrivateKey(_ path: String) throws(ParmanaError) -> SigningKey {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ParmanaError(.io, "cannot read key file \(path)") }
        if st.st_mode & 0o077 != 0 {
            throw ParmanaError(.insecureKeyFile, "key file \(path) is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); run: chmod 600 \(path)")
        }
        return try KeyFile.decode(try read(path))
    }

    /// Reads and strictly parses a JSON file.
    public static func readJSON(_ path: String?, maxBytes: Int = JSONParser.defaultMaxBytes) throws(ParmanaError) -> JSONValue {
        try JSONParser(maxBytes: maxBytes).parse(try read(path))
    }

    /// Input limit for policy files. A pretty-printed envelope can be several times the
    /// size of its JCS; the policy's own limits (``Policy/maxCanonicalBytes``,
    /// ``Policy/maxDepth``) are checked on the data model at every stage.
    public static let policyFileMaxBytes = 64 << 20

    public static func writeStdout(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Rewrites the current stderr line (progress on a terminal).
    public static func writeStderrInline(_ text: String) {
        FileHandle.standardError.write(Data(("\r" + text).utf8))
    }

    public static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
