// libarchive is loaded on its first use (libarchive_loader.cpp).
#pragma once

namespace berth::image {

// Loads libarchive now. Call it before a chroot: the library's file is out of reach afterwards.
void load_libarchive();

}  // namespace berth::image
