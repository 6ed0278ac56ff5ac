// The GSSAPI (Kerberos) functions Debian's static libzmq refers to, for the statically linked
// executables of build-binaries.sh: Debian ships no static libgssapi_krb5, and a bare system has no
// shared one. libzmq calls them only on a socket set to its GSSAPI security mechanism
// (ZMQ_GSSAPI_SERVER or ZMQ_GSSAPI_CLIENT), which dltrain never sets: its sockets use CURVE, or
// nothing on loopback and ipc. Should one be called anyway, it fails as GSSAPI does when no
// mechanism is available, and libzmq ends that handshake.

#include <stddef.h>
#include <stdint.h>

typedef uint32_t OM_uint32;
#define GSS_S_UNAVAILABLE (16u << 16)

// The name-type OIDs libzmq passes to gss_import_name: no OID here.
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;
void *GSS_C_NT_USER_NAME = NULL;

static OM_uint32 unavailable(OM_uint32 *minor) {
    if (minor != NULL) *minor = 0;
    return GSS_S_UNAVAILABLE;
}

OM_uint32 gss_accept_sec_context(OM_uint32 *minor, void *a, void *b, void *c, void *d, void *e, void *f, void *g,
                                 void *h, void *i, void *j) {
    return unavailable(minor);
}
OM_uint32 gss_acquire_cred(OM_uint32 *minor, void *a, OM_uint32 b, void *c, int d, void *e, void *f, void *g) {
    return unavailable(minor);
}
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void *a, void *b) { return unavailable(minor); }
OM_uint32 gss_display_name(OM_uint32 *minor, void *a, void *b, void *c) { return unavailable(minor); }
OM_uint32 gss_import_name(OM_uint32 *minor, void *a, void *b, void *c) { return unavailable(minor); }
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *a, void *b, void *c, void *d, OM_uint32 e, OM_uint32 f,
                               void *g, void *h, void *i, void *j, void *k, void *l) {
    return unavailable(minor);
}
OM_uint32 gss_release_buffer(OM_uint32 *minor, void *a) { return unavailable(minor); }
OM_uint32 gss_release_cred(OM_uint32 *minor, void *a) { return unavailable(minor); }
OM_uint32 gss_release_name(OM_uint32 *minor, void *a) { return unavailable(minor); }
OM_uint32 gss_unwrap(OM_uint32 *minor, void *a, void *b, void *c, void *d, void *e) { return unavailable(minor); }
OM_uint32 gss_wrap(OM_uint32 *minor, void *a, int b, OM_uint32 c, void *d, void *e, void *f) {
    return unavailable(minor);
}
