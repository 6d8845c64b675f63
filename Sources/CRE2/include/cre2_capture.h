// RE2 with capture groups, for PromQL's label_replace (Go regexp.Expand semantics need the
// submatch offsets and the group names). Separate handle from cre2.h so that file stays minimal.
#ifndef STRATA_CRE2_CAPTURE_H
#define STRATA_CRE2_CAPTURE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_re2_capture strata_re2_capture;

/// Compiles `pattern`; NULL on failure with the error text in `err` (NUL-terminated).
strata_re2_capture *strata_re2_capture_new(const char *pattern, size_t pattern_len, char *err, size_t err_len);
void strata_re2_capture_free(strata_re2_capture *re);
/// Number of capturing groups (not counting group 0).
int strata_re2_capture_groups(const strata_re2_capture *re);
/// The name of group `index` (1-based) or NULL when it is unnamed.
const char *strata_re2_capture_group_name(const strata_re2_capture *re, int index);
/// Unanchored search of the first match. On a match returns 1 and writes 2*(groups+1) byte
/// offsets into `offsets` (-1 for groups that did not participate); else 0.
int strata_re2_capture_match(const strata_re2_capture *re, const char *text, size_t text_len, long *offsets, int offsets_len);
/// Like strata_re2_capture_match, but the search starts at byte `start` while `^`, `\b` and
/// friends still see the text before it (Go's regexp iterates ReplaceAll/FindAll this way).
int strata_re2_capture_match_from(const strata_re2_capture *re, const char *text, size_t text_len, size_t start, long *offsets, int offsets_len);

#ifdef __cplusplus
}
#endif
#endif
