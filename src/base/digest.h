// Content digests ("sha256:<64 hex>", "sha512:<128 hex>") as OCI image-spec defines them, and an
// incremental hasher for streams.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

enum class DigestAlgorithm { Sha256, Sha512 };

class Digest {
  public:
    Digest() = default;
    // Parses "algorithm:hex"; the hex part must be lower case and of the algorithm's length.
    static Result<Digest> parse(std::string_view text);

    DigestAlgorithm algorithm() const { return algorithm_; }
    std::string_view algorithm_name() const;
    const std::string& hex() const { return hex_; }
    std::string str() const;
    bool empty() const { return hex_.empty(); }

    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

  private:
    Digest(DigestAlgorithm algorithm, std::string hex)
        : algorithm_(algorithm), hex_(std::move(hex)) {}
    friend class Hasher;

    DigestAlgorithm algorithm_ = DigestAlgorithm::Sha256;
    std::string hex_;
};

// Feeds bytes in, gives the digest out. Not copyable; one stream per hasher.
class Hasher {
  public:
    explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::Sha256);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Ends the stream; the hasher may not be fed again.
    Digest finish();

  private:
    struct State;
    std::unique_ptr<State> state_;
    DigestAlgorithm algorithm_;
};

Digest sha256_of(std::string_view data);
Digest digest_of(std::string_view data, DigestAlgorithm algorithm);

}  // namespace berth
