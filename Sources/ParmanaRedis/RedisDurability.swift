import ParmanaCore

/// The settings that decide whether a Redis server keeps claims (SPEC §17.3), as
/// `CONFIG GET` reported them at start-up: claims must never be evicted
/// (`maxmemory-policy noeviction`) and must survive a crash (`appendonly yes` with
/// `appendfsync always`).
public struct RedisDurability: Sendable, Equatable {
    /// One setting that is not safe: its name, the value found (or why it could not be
    /// read), what could happen, and the safe value.
    public struct Finding: Sendable, Equatable {
        public var setting: String
        public var value: String
        public var risk: String
        public var required: String

        /// `maxmemory-policy allkeys-lru`.
        public var summary: String { "\(setting) \(value)" }
    }

    /// The value of each setting; nil when `CONFIG GET` did not return it.
    public var values: [String: String]
    /// Why the settings could not be read (e.g. `CONFIG` disabled), if so.
    public var readError: String?

    public init(values: [String: String], readError: String? = nil) {
        self.values = values
        self.readError = readError
    }

    /// The settings checked, with their safe value and the risk of any other.
    static let rules: [(setting: String, required: String, risk: String)] = [
        ("maxmemory-policy", "noeviction", "claims could be evicted"),
        ("appendonly", "yes", "claims would be lost when Redis restarts"),
        ("appendfsync", "always", "claims acknowledged in the last second could be lost in a crash"),
    ]

    /// The settings checked by name (for `CONFIG GET`).
    public static var settings: [String] { rules.map(\.setting) }

    /// Every unsafe setting, in the order of ``settings``; empty when Redis is durable.
    public var findings: [Finding] {
        RedisDurability.rules.compactMap { rule in
            guard let value = values[rule.setting] else {
                return Finding(setting: rule.setting, value: "unreadable" + (readError.map { " (\($0))" } ?? ""),
                               risk: "its durability cannot be checked", required: rule.required)
            }
            guard value.lowercased() != rule.required else { return nil }
            return Finding(setting: rule.setting, value: value, risk: rule.risk, required: rule.required)
        }
    }

    /// The start-up verdict (SPEC §17.3): nothing when durable; the unsafe settings when
    /// the operator accepted the risk (`unsafe`); otherwise `invalid_config` naming each
    /// setting and its value (details: pointer `/replay_store/SETTING`), e.g. "Redis at
    /// redis://127.0.0.1:6380/0 has maxmemory-policy allkeys-lru; claims could be evicted:
    /// set maxmemory-policy noeviction, or replay_store_unsafe: true to accept the risk".
    public func verdict(address: String, unsafe: Bool) throws(ParmanaError) -> [Finding] {
        let found = findings
        guard !found.isEmpty, !unsafe else { return found }
        let what = found.map { "\($0.summary); \($0.risk)" }.joined(separator: "; and ")
        let fix = found.map { "\($0.setting) \($0.required)" }.joined(separator: " and ")
        throw ParmanaError(.invalidConfig, "Redis at \(address) has \(what): set \(fix), or replay_store_unsafe: true to accept the risk",
                           details: found.map { .init(pointer: "/replay_store/" + $0.setting, message: $0.value) })
    }
}
