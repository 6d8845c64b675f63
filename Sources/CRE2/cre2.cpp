#include "cre2.h"
#include <re2/re2.h>
#include <cstring>
#include <string>

struct strata_re2 { re2::RE2 *re; };

extern "C" strata_re2 *strata_re2_new(const char *pattern, size_t pattern_len, char *err, size_t err_len) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_encoding(re2::RE2::Options::EncodingUTF8);
    auto *re = new re2::RE2(re2::StringPiece(pattern, pattern_len), opts);
    if (!re->ok()) {
        if (err && err_len > 0) {
            const std::string &e = re->error();
            size_t n = e.size() < err_len - 1 ? e.size() : err_len - 1;
            std::memcpy(err, e.data(), n);
            err[n] = 0;
        }
        delete re;
        return nullptr;
    }
    auto *h = new strata_re2;
    h->re = re;
    return h;
}

extern "C" void strata_re2_free(strata_re2 *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

extern "C" int strata_re2_full_match(const strata_re2 *re, const char *text, size_t text_len) {
    return re2::RE2::FullMatch(re2::StringPiece(text, text_len), *re->re) ? 1 : 0;
}

extern "C" int strata_re2_partial_match(const strata_re2 *re, const char *text, size_t text_len) {
    return re2::RE2::PartialMatch(re2::StringPiece(text, text_len), *re->re) ? 1 : 0;
}
