// How the simulation commands use the C library's heap.
#pragma once

#ifdef __GLIBC__
#include <malloc.h>  // mallopt
#endif

namespace faultline::cli {

// Keep freed memory for the next allocation instead of handing it back to the kernel.
// A simulation allocates and frees many MB: its logs and records grow by doubling, and
// runs follow one another. By default glibc maps each block over 128 KiB afresh and
// returns freed memory at the heap's top, so every growth and every run pays page faults
// to get memory back (a sixth of `faultline sim-bench`'s CPU time, 6% of the atlas's).
// Not for `serve`: a server should give back what a burst took.
inline void keep_freed_memory() {
#ifdef __GLIBC__
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
#endif
}

}  // namespace faultline::cli
