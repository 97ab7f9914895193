import Foundation
import SpasmFuzzChecks

// libFuzzer's entry point, built only by deploy/dev/fuzz.sh (swiftc -sanitize=fuzzer), once
// per target: -D FUZZ_FLATJSON, FUZZ_FRAME or FUZZ_DIARY. A broken property is a crash, so
// libFuzzer saves the input.
#if FUZZ_FLATJSON
    let fuzzTarget = "flatjson"
#elseif FUZZ_FRAME
    let fuzzTarget = "frame"
#else
    let fuzzTarget = "diary"
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let problems = FuzzChecks.problems(target: fuzzTarget, input: Data(bytes: bytes, count: count))
    if !problems.isEmpty { fatalError("\(fuzzTarget): " + problems.joined(separator: "; ")) }
    return 0
}
