// A run's TensorBoard event files as the `tensorboard` package reads them (the Python test
// environment's): every record of every file read with both CRCs checked, then each directory's
// scalar values through TensorBoard's EventAccumulator.

import Foundation

public struct TensorBoardEvents: Decodable {
    /// How many event files train/ and validation/ hold.
    public let files: [String: Int]
    /// tag: [[step, value], ...], values as TensorBoard decodes the float32 tensors.
    public let train: [String: [[Double]]]
    public let validation: [String: [[Double]]]?

    /// Reads the event files of the run directory `run`.
    public static func read(_ run: String) throws -> TensorBoardEvents {
        try JSONDecoder().decode(TensorBoardEvents.self, from: Data(try Python.run(script, arguments: [run]).utf8))
    }

    private static let script = """
        import glob, json, os, sys
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow
        from tensorboard.util import tensor_util
        run, result = sys.argv[1], {"files": {}}
        for part in ("train", "validation"):
            directory = os.path.join(run, part)
            files = sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*")))
            result["files"][part] = len(files)
            for path in files:
                reader = pywrap_tensorflow.PyRecordReader_New(path.encode())
                records = 0
                while True:
                    try:
                        reader.GetNext()
                    except errors.OutOfRangeError:
                        break
                    event_pb2.Event.FromString(reader.record())
                    records += 1
                assert records > 1, path
            if not files:
                continue
            accumulator = ea.EventAccumulator(directory, size_guidance=ea.STORE_EVERYTHING_SIZE_GUIDANCE)
            accumulator.Reload()
            values = {}
            for tag in accumulator.Tags()["tensors"]:
                assert accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars", tag
                values[tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in accumulator.Tensors(tag)]
            result[part] = values
        print(json.dumps(result))
        """
}
