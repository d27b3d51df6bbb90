import ArgumentParser
import ParmanaCore
import ParmanaWorkspace

struct CanonicalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canonicalize",
        abstract: "Print the RFC 8785 canonical bytes of a JSON document.",
        discussion: "Reads FILE, or standard input for '-' or no file. Input is parsed strictly (SPEC §1).")

    @Argument(help: "A JSON file, or '-' for standard input.") var file: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        try guarded(json: common.json) {
            let bytes = try CanonicalJSON.canonicalize(try FileIO.read(file))
            if common.json {
                printJSON(["canonical": .string(String(decoding: bytes, as: UTF8.self))])
            } else {
                FileIO.writeStdout(bytes)
            }
        }
    }
}

struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Print the execution_fingerprint of a signals document: hex(sha256(JCS(signals))).")

    @Argument(help: "A signals JSON file, or '-' for standard input.") var file: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        try guarded(json: common.json) {
            let fp = Hashing.fingerprint(try JSONParser().parse(try FileIO.read(file)))
            if common.json { printJSON(["execution_fingerprint": .string(fp)]) } else { printLine(fp) }
        }
    }
}
