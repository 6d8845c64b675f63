#include "ccrc32c.h"
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int strata_crc32c_hardware(void) { return __builtin_cpu_supports("sse4.2") ? 1 : 0; }

/* Compiled for SSE 4.2 on its own, so the package builds for any x86-64 and the caller
   picks this path only after the CPU check above. */
__attribute__((target("sse4.2")))
uint32_t strata_crc32c_update(uint32_t crc, const void *buf, size_t n) {
    const uint8_t *p = (const uint8_t *)buf;
    uint64_t c = (uint32_t)~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, *p++);
        n--;
    }
    return ~c32;
}
#else
int strata_crc32c_hardware(void) { return 0; }
uint32_t strata_crc32c_update(uint32_t crc, const void *buf, size_t n) { (void)buf; (void)n; return crc; }
#endif
