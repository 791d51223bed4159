#include "base/digest.h"

#include <openssl/evp.h>

#include <utility>

namespace berth {
namespace {

size_t hex_length(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::Sha256 ? 64 : 128;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return fail(ErrorKind::InvalidArgument,
                    "invalid digest \"" + std::string(text) + "\": expected algorithm:hex");
    std::string_view name = text.substr(0, colon);
    std::string_view hex = text.substr(colon + 1);
    DigestAlgorithm algorithm;
    if (name == "sha256")
        algorithm = DigestAlgorithm::Sha256;
    else if (name == "sha512")
        algorithm = DigestAlgorithm::Sha512;
    else
        return fail(ErrorKind::InvalidArgument,
                    "unsupported digest algorithm \"" + std::string(name) + "\"");
    if (hex.size() != hex_length(algorithm))
        return fail(ErrorKind::InvalidArgument,
                    "invalid digest \"" + std::string(text) + "\": wrong length");
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return fail(ErrorKind::InvalidArgument,
                        "invalid digest \"" + std::string(text) + "\": not lower-case hex");
    return Digest(algorithm, std::string(hex));
}

std::string_view Digest::algorithm_name() const {
    return algorithm_ == DigestAlgorithm::Sha256 ? "sha256" : "sha512";
}

std::string Digest::str() const {
    return std::string(algorithm_name()) + ":" + hex_;
}

struct Hasher::State {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~State() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(DigestAlgorithm algorithm)
    : state_(std::make_unique<State>()), algorithm_(algorithm) {
    EVP_DigestInit_ex(state_->ctx,
                      algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_sha512(), nullptr);
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t size) {
    EVP_DigestUpdate(state_->ctx, data, size);
}

Digest Hasher::finish() {
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(state_->ctx, raw, &length);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(digits[raw[i] >> 4]);
        hex.push_back(digits[raw[i] & 0xf]);
    }
    return Digest(algorithm_, std::move(hex));
}

Digest digest_of(std::string_view data, DigestAlgorithm algorithm) {
    Hasher hasher(algorithm);
    hasher.update(data);
    return hasher.finish();
}

Digest sha256_of(std::string_view data) {
    return digest_of(data, DigestAlgorithm::Sha256);
}

}  // namespace berth
