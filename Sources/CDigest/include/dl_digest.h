// SHA-256's compression function, for fingerprinting data files of hundreds of megabytes: on the
// CPU's SHA extensions where it has them (about ten times faster), portable C elsewhere. DLData's
// SHA256 streams bytes through them; both give the same digests (tested).
#ifndef DL_DIGEST_H
#define DL_DIGEST_H

#include <stdint.h>

/// Runs SHA-256's compression function over `blocks` consecutive 64-byte blocks at `data` (any
/// alignment), updating `state` (H0...H7).
void dl_sha256_blocks_portable(uint32_t state[8], const unsigned char *data, long blocks);

/// 1 if this CPU has the SHA extensions and SSE4.1, which dl_sha256_blocks_hardware needs; else 0.
int dl_sha256_hardware_available(void);

/// dl_sha256_blocks_portable on the SHA extensions. Only call it when dl_sha256_hardware_available().
void dl_sha256_blocks_hardware(uint32_t state[8], const unsigned char *data, long blocks);

#endif
