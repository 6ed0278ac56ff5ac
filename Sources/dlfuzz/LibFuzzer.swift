// The fuzzing build's entry: libFuzzer's driver, called with the target's callback. SwiftPM links an
// executable's entry point under the module's name, so libFuzzer's own `main` is never linked in;
// its driver (LLVMFuzzerRunDriver, libFuzzer's API for this) is called from ours instead.

#if FUZZING
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_silgen_name("LLVMFuzzerMutate")
private func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int) -> Int

/// libFuzzer's custom mutator (found by its name): the message target's structure-aware mutations
/// (MessageMutator) for an input that decodes, most of the time; libFuzzer's byte mutations otherwise.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard fuzzed == .message, let data, seed % 4 != 0 else { return LLVMFuzzerMutate(data, size, maxSize) }
    var mutator = MessageMutator(seed: UInt64(seed))
    guard let changed = mutator.mutate(Array(UnsafeBufferPointer(start: data, count: size))), changed.count <= maxSize else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    changed.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: changed.count) }
    return changed.count
}

/// The target the callback feeds: set once, before the driver starts.
nonisolated(unsafe) private var fuzzed = FuzzTarget.csv

func runLibFuzzer(_ target: FuzzTarget, arguments: [String]) -> Int32 {
    fuzzed = target
    var argc = Int32(arguments.count)
    var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    return pointers.withUnsafeMutableBufferPointer { buffer in
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzed.consume(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }
}
#endif
