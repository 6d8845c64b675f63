#include "cre2_capture.h"
#include <re2/re2.h>
#include <cstring>
#include <map>
#include <string>
#include <vector>

struct strata_re2_capture {
    re2::RE2 *re;
    std::vector<std::string> names; // index = group number; "" when unnamed
};

extern "C" strata_re2_capture *strata_re2_capture_new(const char *pattern, size_t pattern_len, char *err, size_t err_len) {
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
    auto *h = new strata_re2_capture;
    h->re = re;
    h->names.assign(re->NumberOfCapturingGroups() + 1, std::string());
    for (const auto &kv : re->CapturingGroupNames()) {
        if (kv.first >= 0 && (size_t)kv.first < h->names.size()) h->names[kv.first] = kv.second;
    }
    return h;
}

extern "C" void strata_re2_capture_free(strata_re2_capture *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

extern "C" int strata_re2_capture_groups(const strata_re2_capture *re) {
    return re->re->NumberOfCapturingGroups();
}

extern "C" const char *strata_re2_capture_group_name(const strata_re2_capture *re, int index) {
    if (index < 0 || (size_t)index >= re->names.size() || re->names[index].empty()) return nullptr;
    return re->names[index].c_str();
}

extern "C" int strata_re2_capture_match(const strata_re2_capture *re, const char *text, size_t text_len, long *offsets, int offsets_len) {
    return strata_re2_capture_match_from(re, text, text_len, 0, offsets, offsets_len);
}

extern "C" int strata_re2_capture_match_from(const strata_re2_capture *re, const char *text, size_t text_len, size_t start, long *offsets, int offsets_len) {
    int n = re->re->NumberOfCapturingGroups() + 1;
    std::vector<re2::StringPiece> sub(n);
    re2::StringPiece input(text, text_len);
    if (start > text_len) return 0;
    if (!re->re->Match(input, start, text_len, re2::RE2::UNANCHORED, sub.data(), n)) return 0;
    for (int i = 0; i < n && 2 * i + 1 < offsets_len; i++) {
        if (sub[i].data() == nullptr) {
            offsets[2 * i] = -1;
            offsets[2 * i + 1] = -1;
        } else {
            offsets[2 * i] = (long)(sub[i].data() - text);
            offsets[2 * i + 1] = (long)(sub[i].data() - text + sub[i].size());
        }
    }
    return 1;
}
