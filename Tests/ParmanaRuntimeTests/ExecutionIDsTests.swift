import ParmanaCore
import ParmanaRuntime
import Testing

@Suite struct ExecutionIDsTests {
    @Test func randomIDsAreLowercaseUUIDv4AndDistinct() {
        let ids = RandomExecutionIDs()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = ids.next()
            #expect(Syntax.isUUIDv4(id), "\(id)")
            #expect(id == id.lowercased())
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        // Every variant nibble (8, 9, a, b) and every hex digit shows up somewhere.
        let variants = Set((0..<200).map { _ in Array(ids.next())[19] })
        #expect(variants == ["8", "9", "a", "b"])
    }
}
