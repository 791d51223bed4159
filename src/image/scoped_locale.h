// Switches the calling thread (only) to another locale for a scope. libarchive converts entry
// names through the current locale's charset; the process-wide locale is not ours to change.
#pragma once

#include <locale.h>

namespace berth::image {

class ScopedLocale {
  public:
    // Stays in the current locale if `name` does not exist on this system.
    explicit ScopedLocale(const char* name);
    ~ScopedLocale();
    ScopedLocale(const ScopedLocale&) = delete;
    ScopedLocale& operator=(const ScopedLocale&) = delete;

  private:
    locale_t locale_ = nullptr;
    locale_t previous_ = nullptr;
};

}  // namespace berth::image
