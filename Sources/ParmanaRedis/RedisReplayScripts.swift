/// The Lua scripts of ``RedisReplayStore``: each write of the replay-store port is one
/// script, so Redis runs it atomically (SPEC §7.2: insert-if-absent, never
/// check-then-set). Sent with `EVALSHA`, falling back to `EVAL` after a server restart.
///
/// Data model, under the store's prefix `P` (default `parmana:`):
/// - `P claim:{fingerprint}` — string, the claim token `node_id/execution_id`; never expires.
/// - `P inflight:{node}`, `P indoubt:{node}` — sets of `"{fingerprint} {token}"`.
/// - `P idem:{key}` — hash `request_hash`, `execution_id`, `node`, `state`
///   (`in_progress` | `done`) and, once done, `attestation` (JCS of the envelope).
/// - `P claimidem:{fingerprint}` — the idempotency key bound with a claim, until the
///   claim is settled with its attestation or released.
/// - `P node:{node}` — the `log_id` of the workspace that first used this node id
///   (``RedisReplayStore/bind(node:log:)``); never expires.
///
/// The release and settle scripts reach the key named by `claimidem` directly, which a
/// single Redis server (the supported deployment) allows; Redis Cluster is not supported.
enum RedisReplayScripts {
    /// Claims several fingerprints in order, each as one insert-if-absent: 4 KEYS per claim
    /// (claim, inflight, idem — unused without a key —, claimidem) and 6 ARGV per claim
    /// (token, member, request_hash, execution_id, node, key — "" = none). Returns one
    /// reply per claim: `{"key", request_hash, execution_id, state, node, attestation}`
    /// (the key is bound: nothing claimed), `{"replay", token}` or `{"consumed"}`. A later
    /// claim of the batch sees what the earlier ones wrote.
    static let consume = """
        local out = {}
        for i = 0, #KEYS / 4 - 1 do
          local k, a = i * 4, i * 6
          local key = ARGV[a + 6]
          local reply = nil
          if key ~= '' then
            local r = redis.call('HMGET', KEYS[k + 3], 'request_hash', 'execution_id', 'state', 'node', 'attestation')
            if r[1] then
              reply = {'key', r[1], r[2] or '', r[3] or '', r[4] or '', r[5] or ''}
            end
          end
          if not reply then
            local holder = redis.call('GET', KEYS[k + 1])
            if holder then
              reply = {'replay', holder}
            else
              redis.call('SET', KEYS[k + 1], ARGV[a + 1])
              redis.call('SADD', KEYS[k + 2], ARGV[a + 2])
              if key ~= '' then
                redis.call('HSET', KEYS[k + 3], 'request_hash', ARGV[a + 3], 'execution_id', ARGV[a + 4], 'node', ARGV[a + 5], 'state', 'in_progress')
                redis.call('SET', KEYS[k + 4], key)
              end
              reply = {'consumed'}
            end
          end
          out[i + 1] = reply
        end
        return out
        """

    /// KEYS: claim, inflight, indoubt, claimidem. ARGV: token, member, idem key prefix, execution_id.
    /// Deletes the claim only while it holds `token` (and a key bound with it); always
    /// unlists the member. Returns 1 when the claim was deleted, else 0.
    static let release = """
        local released = 0
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          released = 1
          local key = redis.call('GET', KEYS[4])
          if key then
            local idem = ARGV[3] .. key
            if redis.call('HGET', idem, 'execution_id') == ARGV[4] then
              redis.call('DEL', idem)
            end
            redis.call('DEL', KEYS[4])
          end
        end
        redis.call('SREM', KEYS[2], ARGV[2])
        redis.call('SREM', KEYS[3], ARGV[2])
        return released
        """

    /// KEYS: inflight, indoubt, claimidem. ARGV: member, idem key prefix, execution_id,
    /// attestation ("" = none). Unlists the member (the claim stays); with an attestation,
    /// completes a key bound with this execution.
    static let settle = """
        redis.call('SREM', KEYS[1], ARGV[1])
        redis.call('SREM', KEYS[2], ARGV[1])
        if ARGV[4] ~= '' then
          local key = redis.call('GET', KEYS[3])
          if key then
            local idem = ARGV[2] .. key
            if redis.call('HGET', idem, 'execution_id') == ARGV[3] then
              redis.call('HSET', idem, 'state', 'done', 'attestation', ARGV[4])
              redis.call('DEL', KEYS[3])
            end
          end
        end
        return 1
        """

    /// KEYS: inflight, indoubt. ARGV: member.
    static let markInDoubt = """
        redis.call('SREM', KEYS[1], ARGV[1])
        redis.call('SADD', KEYS[2], ARGV[1])
        return 1
        """
}
