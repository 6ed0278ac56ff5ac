// zlib's API (Debian's zlib1g-dev): DLData inflates gzip-compressed CSV files through it, a
// buffer at a time, so a compressed file is read as a stream and never whole. (Named for its use:
// ZIPFoundation's own zlib module already takes the name CZlib.)
#include <zlib.h>
