// libzmq's API, and errno.h for the error numbers it reports (EINTR, EAGAIN, ...): DLTransport
// reads both through this module, so it imports no platform C library of its own.
#include <errno.h>
#include <zmq.h>
