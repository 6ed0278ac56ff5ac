// ZMQSocketType.swift
// The libzmq socket patterns DLTransport offers, as a Swift enum instead of C ints.

import CZeroMQ

public enum ZMQSocketType: Sendable, Hashable {
    case router, dealer, pair, req, rep, push, pull, pub, sub

    var cValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        }
    }
}
