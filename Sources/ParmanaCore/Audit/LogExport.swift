/// The export format of a log (`parmana.log-export/v1`, SPEC §16.4): JSON Lines.
///
/// ```
/// {"type":"parmana.log-export/v1","log_id":"…","node_id":"…","size":N,"from":1,
///  "previous_entry_hash":"<64 hex>","frontier":["<64 hex>",…]}
/// {"entry":{…},"entry_hash":"<64 hex>","record":{…}}        one per entry, in seq order
/// {"checkpoint":{"payload":{…},"signature":"…"}}            then every checkpoint
/// ```
/// `size` is the log's size when exported; `from` the first exported seq. An export from
/// seq 1 has 64 zeros and no frontier; a later start carries the entry hash before it
/// and the Merkle frontier there (the complete subtrees of ``MerkleFrontier``, largest
/// first), so checkpoints can still be checked. Every line is JCS.
public enum LogExport {
    public static let type = "parmana.log-export/v1"

    /// The header line's content.
    public struct Header: Sendable, Equatable {
        public var logID: String
        public var nodeID: String
        public var size: Int
        public var from: Int
        public var previousEntryHash: [UInt8]
        public var frontier: [Merkle.Hash]

        public init(logID: String, nodeID: String, size: Int, from: Int, previousEntryHash: [UInt8], frontier: [Merkle.Hash]) {
            self.logID = logID
            self.nodeID = nodeID
            self.size = size
            self.from = from
            self.previousEntryHash = previousEntryHash
            self.frontier = frontier
        }

        public var json: JSONValue {
            [
                "type": .string(LogExport.type), "log_id": .string(logID), "node_id": .string(nodeID),
                "size": .number(Double(size)), "from": .number(Double(from)),
                "previous_entry_hash": .string(Hex.encode(previousEntryHash)),
                "frontier": .array(frontier.map { .string(Hex.encode($0)) }),
            ]
        }

        /// The Merkle frontier before `from`.
        public func merkleFrontier() throws(ParmanaError) -> MerkleFrontier {
            let ids = MerkleFrontier.nodes(forSize: from - 1)
            guard ids.count == frontier.count else {
                throw ParmanaError(.auditChainBroken, "the export header's frontier does not fit a log of \(from - 1) entries")
            }
            return MerkleFrontier(size: from - 1, hashes: frontier)
        }
    }

    /// One line, read back.
    public enum Line: Sendable {
        case header(Header)
        case entry(AuditRecord)
        case checkpoint(Envelope)
    }

    /// JCS of an entry line, with the record's (already canonical) bytes copied verbatim.
    public static func entryLine(_ r: AuditRecord) -> [UInt8] {
        var out: [UInt8] = Array(#"{"entry":"#.utf8)
        out += r.entry.canonicalBytes
        out += Array(#","entry_hash":""#.utf8)
        out += Array((r.storedEntryHash.map(Hex.encode) ?? r.entry.entryHash).utf8)
        out += Array(#"","record":"#.utf8)
        out += r.recordBytes
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func headerLine(_ h: Header) -> [UInt8] { CanonicalJSON.bytes(h.json) }

    public static func checkpointLine(_ env: Envelope) -> [UInt8] { CanonicalJSON.bytes(["checkpoint": env.json]) }

    /// Reads one line. Throws `audit_chain_broken` (with the line number) for anything
    /// that is not a line of this format.
    public static func read(_ bytes: some Collection<UInt8>, line: Int) throws(ParmanaError) -> Line {
        do throws(ParmanaError) {
            let json = try JSONParser(maxBytes: 64 << 20).parse(bytes)
            if json["type"] != nil {
                var r = try FieldReader(json, code: .auditChainBroken)
                _ = try r.oneOf("type", [LogExport.type])
                let logID = try r.string("log_id")
                let nodeID = try r.string("node_id")
                let size = try r.integer("size")
                let from = try r.integer("from")
                let prev = try r.hash("previous_entry_hash")
                var frontier: [Merkle.Hash] = []
                for v in try r.array("frontier") {
                    guard let s = v.stringValue, Hashing.isHashHex(s), let h = Hex.decode(s) else { throw r.error("frontier", "expected 64-hex hashes") }
                    frontier.append(h)
                }
                try r.finish()
                guard from >= 1, size >= from - 1 else { throw r.error("from", "must be between 1 and size + 1") }
                return .header(Header(logID: logID, nodeID: nodeID, size: size, from: from, previousEntryHash: Hex.decode(prev)!, frontier: frontier))
            }
            if let cp = json["checkpoint"] {
                var r = try FieldReader(json, code: .auditChainBroken)
                _ = try r.required("checkpoint")
                try r.finish()
                return .checkpoint(try Envelope(json: cp))
            }
            var r = try FieldReader(json, code: .auditChainBroken)
            let entry = try AuditEntry(json: try r.required("entry"))
            let hash = try r.hash("entry_hash")
            let record = try r.required("record")
            try r.finish()
            return .entry(AuditRecord(entry: entry, recordBytes: CanonicalJSON.bytes(record), storedEntryHash: Hex.decode(hash)))
        } catch {
            throw ParmanaError(.auditChainBroken, "export line \(line): \(error.message)")
        }
    }
}
