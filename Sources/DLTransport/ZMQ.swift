// ZMQ.swift
// Facts about the linked libzmq, for diagnostics and for deciding whether
// optional features (CURVE) can be used before trying them.

import CZeroMQ

/// A libzmq release number, printed as "major.minor.patch".
public struct ZMQVersion: Sendable, Equatable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public var description: String { "\(major).\(minor).\(patch)" }
}

public enum ZMQ {
    /// The version of the libzmq actually loaded at run time, which may differ
    /// from the headers the package was compiled against.
    public static var version: ZMQVersion {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return ZMQVersion(major: Int(major), minor: Int(minor), patch: Int(patch))
    }

    /// Whether this libzmq supports CURVE encryption and authentication.
    public static var hasCurve: Bool { zmq_has("curve") == 1 }
}
