#ifndef STRATA_CCRC32C_H
#define STRATA_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC-32C instruction strata_crc32c_update can use (SSE 4.2 on x86-64).
int strata_crc32c_hardware(void);

/// Continues a CRC-32C over n bytes with the CPU's instruction; only when
/// strata_crc32c_hardware() is 1. Same convention as the Swift code: start with crc = 0.
uint32_t strata_crc32c_update(uint32_t crc, const void *buf, size_t n);

#endif
