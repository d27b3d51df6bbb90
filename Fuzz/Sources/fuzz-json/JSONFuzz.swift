// The strict JSON parser, differentially: the one-pass canonicalizer
// (`JSONParser.canonicalize`, `withCanonicalBytes`, `Hashing.fingerprint(json:)`) and
// the tree serializer (`CanonicalJSON.bytes(parse(x))`) must give identical bytes or
// identical error codes. Canonical output must be a fixed point of both.
import FuzzSupport
import ParmanaCore

func describe(_ r: Result<[UInt8], ParmanaError>) -> String {
    switch r {
    case .success(let b): "bytes \(String(decoding: b.prefix(200), as: UTF8.self).debugDescription)"
    case .failure(let e): "error \(e.code.rawValue) (\(e.message))"
    }
}

func agree(_ what: String, _ a: Result<[UInt8], ParmanaError>, _ b: Result<[UInt8], ParmanaError>,
           labels: (String, String) = ("the tree serializer", "the one-pass canonicalizer")) {
    switch (a, b) {
    case (.success(let x), .success(let y)) where x == y: return
    case (.failure(let x), .failure(let y)) where x.code == y.code: return
    default: Fuzz.fail("\(what): \(labels.0) gives \(describe(a)); \(labels.1) gives \(describe(b))")
    }
}

let parser = JSONParser()
let small = JSONParser(maxBytes: 64)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    // Its seeds are files of Vectors/ (scripts/fuzz.sh copies them): none to make here.
    Fuzz.writeSeedsIfAsked { [] }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let tree: Result<[UInt8], ParmanaError>
    do throws(ParmanaError) { tree = .success(CanonicalJSON.bytes(try parser.parse(bytes))) } catch { tree = .failure(error) }
    let onePass: Result<[UInt8], ParmanaError>
    do throws(ParmanaError) { onePass = .success(try parser.canonicalize(bytes)) } catch { onePass = .failure(error) }
    agree("canonicalize", tree, onePass)

    // The hashing entry point streams the same writer.
    let fp: Result<String, ParmanaError>
    do throws(ParmanaError) { fp = .success(try Hashing.fingerprint(json: bytes)) } catch { fp = .failure(error) }
    switch (tree, fp) {
    case (.success(let b), .success(let h)) where Hashing.sha256Hex(b) == h: break
    case (.failure(let x), .failure(let y)) where x.code == y.code: break
    default: Fuzz.fail("fingerprint(json:) disagrees with the tree: \(describe(tree))")
    }

    // The byte limit is checked the same way by both.
    let t2: Result<[UInt8], ParmanaError>
    do throws(ParmanaError) { t2 = .success(CanonicalJSON.bytes(try small.parse(bytes))) } catch { t2 = .failure(error) }
    let o2: Result<[UInt8], ParmanaError>
    do throws(ParmanaError) { o2 = .success(try small.canonicalize(bytes)) } catch { o2 = .failure(error) }
    agree("canonicalize (maxBytes 64)", t2, o2)

    // Canonical output is canonical: both paths map it to itself.
    if case .success(let canonical) = tree {
        let again: Result<[UInt8], ParmanaError>
        do throws(ParmanaError) { again = .success(try parser.canonicalize(canonical)) } catch { again = .failure(error) }
        agree("JCS output is not a fixed point", .success(canonical), again, labels: ("the input canonicalizes to", "canonicalizing that again"))
        let reparsed: Result<[UInt8], ParmanaError>
        do throws(ParmanaError) { reparsed = .success(CanonicalJSON.bytes(try parser.parse(canonical))) } catch { reparsed = .failure(error) }
        agree("JCS output does not re-parse to itself", .success(canonical), reparsed, labels: ("the input canonicalizes to", "parsing and serializing that again"))
    }
    return 0
}
