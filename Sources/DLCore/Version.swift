// dltrain's release version: the one place it is written. `dlcoord --version` and
// `dlworker --version` print it, and a worker's hello carries it to the coordinator's log. It lives
// in DLCore because every module links DLCore.

public enum DLTrainVersion {
    public static let current = "0.2.0"
}
