import ParmanaCore
import PostgresNIO

/// The chain head as `log_head` stores it (schema v2): the size, the last entry hash, and
/// the hashes ``AuditChain/resume(size:lastEntryHash:storedHashes:)`` resumes from — the
/// stored hashes of ``AuditChain/nodesToResume(size:)``: entry hashes for leaves, `tree`
/// hashes above. Every one of them is also in `entries` or `tree`, so an appending
/// statement can check the stored head against the log itself (``matchesSQL(_:)``).
///
/// The chain math stays in Core; this only keeps the few last entry hashes the stored
/// form needs (at most the last three: a level-1 subtree's two leaves and a level-0 one).
struct PostgresLogHead: Sendable {
    private(set) var chain = AuditChain()
    /// Entry hashes by seq: at least those of the leaves in ``AuditChain/nodesToResume(size:)``.
    private var leaves: [Int: [UInt8]] = [:]

    init() {}

    /// From stored values, in the order of ``AuditChain/nodesToResume(size:)``.
    init(size: Int, lastEntryHash: [UInt8], storedHashes: [[UInt8]]) throws(ParmanaError) {
        chain = try AuditChain.resume(size: size, lastEntryHash: lastEntryHash, storedHashes: storedHashes)
        for (id, hash) in zip(AuditChain.nodesToResume(size: size), storedHashes) where id.level == 0 {
            leaves[id.index + 1] = hash
        }
        if size > 0 { leaves[size] = lastEntryHash }
    }

    var size: Int { chain.size }

    mutating func append(kind: AuditKind, executionID: String?, fingerprint: String?, recordHash: String, at: Timestamp) -> AuditChain.Appended {
        let a = chain.append(kind: kind, executionID: executionID, fingerprint: fingerprint, recordHash: recordHash, at: at)
        leaves[a.entry.seq] = a.entryHash
        leaves[a.entry.seq - 4] = nil   // seqs arrive one by one: keep the last four
        return a
    }

    /// The stored hashes of ``AuditChain/nodesToResume(size:)`` for the current size.
    var storedHashes: [[UInt8]] {
        AuditChain.nodesToResume(size: size).map { id in
            id.level == 0 ? leaves[id.index + 1] ?? [] : chain.frontier.subtrees.first { $0.node == id }?.hash ?? []
        }
    }

    /// Binds size and last entry hash (`$n`, `$n+1`), then the leaves' seqs and entry
    /// hashes (`$n+2`, `$n+3`) and the interior nodes' keys and hashes (`$n+4`, `$n+5`).
    func bindCheck(_ b: inout PostgresBindings) {
        b.append(size)
        b.append(PostgresCodec.buffer(chain.lastEntryHash))
        var seqs: [Int] = [], leafHashes: [ByteBuffer] = [], keys: [Int64] = [], nodeHashes: [ByteBuffer] = []
        for (id, hash) in zip(AuditChain.nodesToResume(size: size), storedHashes) {
            if id.level == 0 {
                seqs.append(id.index + 1)
                leafHashes.append(PostgresCodec.buffer(hash))
            } else {
                keys.append(id.key)
                nodeHashes.append(PostgresCodec.buffer(hash))
            }
        }
        b.append(seqs)
        b.append(leafHashes)
        b.append(keys)
        b.append(nodeHashes)
    }

    /// SQL, true when the log is what this head says, with ``bindCheck(_:)``'s six values
    /// from `$n`: the entries end at its size with its last entry hash, and every stored
    /// hash it resumes from is in `entries` or `tree` (index probes: O(log n)). A head in
    /// `log_head` that disagrees with the log fails the append instead of leaving a gap, a
    /// fork or wrong tree nodes.
    static func matchesSQL(_ n: Int) -> String {
        "((SELECT coalesce(max(seq), 0) FROM entries) = $\(n)::bigint"
            + " AND ($\(n) = 0 OR EXISTS (SELECT 1 FROM entries WHERE seq = $\(n) AND entry_hash = $\(n + 1)))"
            + " AND (SELECT count(*) FROM entries e JOIN unnest($\(n + 2)::bigint[], $\(n + 3)::bytea[]) AS l(s, h)"
            + " ON e.seq = l.s AND e.entry_hash = l.h) = cardinality($\(n + 2)::bigint[])"
            + " AND (SELECT count(*) FROM tree t JOIN unnest($\(n + 4)::bigint[], $\(n + 5)::bytea[]) AS i(k, h)"
            + " ON t.node = i.k AND t.hash = i.h) = cardinality($\(n + 4)::bigint[]))"
    }

    /// Binds what `log_head` stores (`$n` size, `$n+1` last entry hash, `$n+2` stored hashes).
    func bindStored(_ b: inout PostgresBindings) {
        b.append(size)
        b.append(PostgresCodec.buffer(chain.lastEntryHash))
        b.append(storedHashes.map(PostgresCodec.buffer))
    }

    /// The CTE `h` that stores a head in `log_head` when `condition` (SQL) holds, with
    /// ``bindStored(_:)``'s three values from `$n`. Every statement that appends stores
    /// the head it leaves.
    static func storeSQL(_ n: Int, when condition: String = "TRUE") -> String {
        "h AS (UPDATE log_head SET size = $\(n), last_entry_hash = $\(n + 1), frontier = $\(n + 2)::bytea[] WHERE id = 1 AND \(condition))"
    }
}
