/// A semantic version 2.0.0 with precedence ordering (build metadata ignored).
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: UInt64, minor: UInt64, patch: UInt64
    public let prerelease: [String]
    public let text: String

    public init?(_ text: String) {
        var core = Substring(text)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            guard SemanticVersion.validIdentifiers(build, numericLeadingZeroOK: true) else { return nil }
            core = core[..<plus]
        }
        var pre: [String] = []
        if let dash = core.firstIndex(of: "-") {
            let p = core[core.index(after: dash)...]
            guard SemanticVersion.validIdentifiers(p, numericLeadingZeroOK: false) else { return nil }
            pre = p.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var nums: [UInt64] = []
        for p in parts {
            guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), p == "0" || p.first != "0",
                  let n = UInt64(p) else { return nil }
            nums.append(n)
        }
        (major, minor, patch) = (nums[0], nums[1], nums[2])
        prerelease = pre
        self.text = text
    }

    public var description: String { text }

    private static func validIdentifiers(_ s: Substring, numericLeadingZeroOK: Bool) -> Bool {
        let ids = s.split(separator: ".", omittingEmptySubsequences: false)
        for id in ids {
            guard !id.isEmpty else { return false }
            guard id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }) else { return false }
            if !numericLeadingZeroOK, id.count > 1, id.first == "0", id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return false }
        }
        return true
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if a.major != b.major { return a.major < b.major }
        if a.minor != b.minor { return a.minor < b.minor }
        if a.patch != b.patch { return a.patch < b.patch }
        if a.prerelease.isEmpty != b.prerelease.isEmpty { return !a.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            let nx = UInt64(x), ny = UInt64(y)
            switch (nx, ny) {
            case let (p?, q?): return p < q
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.prerelease == b.prerelease
    }

    public func hash(into h: inout Hasher) {
        h.combine(major); h.combine(minor); h.combine(patch); h.combine(prerelease)
    }
}
