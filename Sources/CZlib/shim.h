#include <zlib.h>

/* deflateInit2 is a macro, which Swift cannot call: a raw deflate stream (no zlib or gzip
   wrapper; the caller writes the gzip header and trailer around pieces compressed apart). */
static inline int strata_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}
