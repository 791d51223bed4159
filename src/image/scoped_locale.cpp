#include "image/scoped_locale.h"

namespace berth::image {

ScopedLocale::ScopedLocale(const char* name) {
    locale_ = ::newlocale(LC_ALL_MASK, name, nullptr);
    if (locale_ != nullptr) previous_ = ::uselocale(locale_);
}

ScopedLocale::~ScopedLocale() {
    if (locale_ == nullptr) return;
    ::uselocale(previous_);
    ::freelocale(locale_);
}

}  // namespace berth::image
