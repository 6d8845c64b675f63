// Minimal C interface to RE2 (libre2-dev). Strata needs only: compile, full match, error text.
#ifndef STRATA_CRE2_H
#define STRATA_CRE2_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_re2 strata_re2;

/// Compiles `pattern` (RE2 syntax). Returns NULL on failure and copies the error text into
/// `err` (NUL-terminated, truncated to `err_len`). `.` does not match `\n` (Go's default).
strata_re2 *strata_re2_new(const char *pattern, size_t pattern_len, char *err, size_t err_len);
void strata_re2_free(strata_re2 *re);
/// 1 when the whole `text` matches (anchored at both ends), else 0.
int strata_re2_full_match(const strata_re2 *re, const char *text, size_t text_len);
/// 1 when the pattern matches somewhere in `text` (unanchored), else 0.
int strata_re2_partial_match(const strata_re2 *re, const char *text, size_t text_len);

#ifdef __cplusplus
}
#endif
#endif
