// A /tmp of the fuzzer's own: a fresh tmpfs mounted in a private mount namespace, so that what a
// target writes there is fast to write and remove, and anything new in it was made by the target.
// Call from LLVMFuzzerInitialize (before libFuzzer starts threads). Needs root; returns false,
// leaving the shared /tmp in place, without it. The corpus and artifact directories must not be
// under /tmp: they would be hidden.
#pragma once

#include <sched.h>
#include <sys/mount.h>

#include <cstdio>

inline bool use_private_tmp(const char* who) {
    bool ok = ::unshare(CLONE_NEWNS) == 0 &&
              ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
              ::mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") == 0;
    std::fprintf(stderr, "%s: %s\n", who,
                 ok ? "/tmp is a private tmpfs" : "using the shared /tmp (not root?)");
    return ok;
}
