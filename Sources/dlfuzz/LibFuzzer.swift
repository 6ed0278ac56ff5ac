// The fuzzing build's entry: libFuzzer's driver, called with the target's callback. SwiftPM links an
// executable's entry point under the module's name, so libFuzzer's own `main` is never linked in;
// its driver (LLVMFuzzerRunDriver, libFuzzer's API for this) is called from ours instead. The
// custom mutator (libFuzzer's LLVMFuzzerCustomMutator, found by its name when linked in) gives the
// structured targets StructureMutator's mutations, and libFuzzer's byte mutations otherwise.

#if FUZZING
import DLCore
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// libFuzzer's own mutation of the bytes, for a custom mutator to fall back on.
@_silgen_name("LLVMFuzzerMutate")
private func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

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

/// One mutation of the input in `data` (`size` bytes, at most `maxSize`), chosen by `seed`: for
/// the structured targets, seven times in eight a decoded field, else libFuzzer's byte mutations
/// (after which a checkpoint's checksum is computed again, so the change reaches the reader).
@_cdecl("LLVMFuzzerCustomMutator")
func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SeededGenerator(seed: UInt64(seed))
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var output: [UInt8]?
    if Int.random(in: 0..<8, using: &random) != 0 {
        output = StructureMutator.mutate(input, for: fuzzed, using: &random)
    }
    if output == nil || (output?.count ?? 0) > maxSize {
        let mutated = LLVMFuzzerMutate(data, size, maxSize)
        guard fuzzed == .checkpoint else { return mutated }
        output = StructureMutator.resealed(Array(UnsafeBufferPointer(start: data, count: mutated)))
    }
    guard let output, output.count <= maxSize else { return size }
    for (index, byte) in output.enumerated() { data[index] = byte }
    return output.count
}
#endif
