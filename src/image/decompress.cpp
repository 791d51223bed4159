#include "image/decompress.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#ifdef BERTH_HAVE_ISAL
#include "image/isal_loader.h"
#endif

namespace berth::image {

namespace {

constexpr size_t kInputSize = 1 << 20;
// Enough bytes to tell every magic number below apart.
constexpr size_t kMagicSize = 10;

bool starts_with(std::string_view head, std::string_view magic) {
    return head.substr(0, magic.size()) == magic;
}

// One decoder step: consumes from `in` and produces into `out`, advancing both. A call that
// neither consumes nor produces means the decoder needs more input (or the stream is over).
class Codec {
  public:
    virtual ~Codec() = default;
    virtual Result<void> decode(std::span<const uint8_t>& in, std::span<uint8_t>& out) = 0;
    // The stream may legitimately end here: a member or frame has just been completed.
    virtual bool at_boundary() const = 0;
};

uint32_t clamp32(size_t n) {
    return static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX));
}

class ZlibGzip final : public Codec {
  public:
    static Result<std::unique_ptr<Codec>> make() {
        auto codec = std::make_unique<ZlibGzip>();
        // 16 + MAX_WBITS: a gzip wrapper, not zlib's own.
        if (inflateInit2(&codec->z_, 16 + MAX_WBITS) != Z_OK)
            return fail(ErrorKind::Internal, "gzip: cannot initialise zlib");
        codec->initialised_ = true;
        return codec;
    }
    ~ZlibGzip() override {
        if (initialised_) inflateEnd(&z_);
    }

    Result<void> decode(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
        if (out.empty()) return {};
        if (ended_) {
            if (in.empty()) return {};
            inflateReset(&z_);  // the next member of a concatenated stream
            ended_ = false;
        }
        z_.next_in = const_cast<Bytef*>(in.data());
        z_.avail_in = clamp32(in.size());
        z_.next_out = out.data();
        z_.avail_out = clamp32(out.size());
        int rc = inflate(&z_, Z_NO_FLUSH);
        in = in.subspan(static_cast<size_t>(z_.next_in - in.data()));
        out = out.subspan(static_cast<size_t>(z_.next_out - out.data()));
        if (rc == Z_STREAM_END) {
            ended_ = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fail(ErrorKind::InvalidArgument, z_.msg != nullptr ? z_.msg : "invalid stream");
        }
        return {};
    }
    bool at_boundary() const override { return ended_; }

  private:
    z_stream z_{};
    bool initialised_ = false;
    bool ended_ = false;
};

#ifdef BERTH_HAVE_ISAL
class IsalGzip final : public Codec {
  public:
    explicit IsalGzip(const IsalInflate& isal)
        : isal_(isal), state_(std::make_unique<inflate_state>()) {
        isal_.init(state_.get());
        state_->crc_flag = ISAL_GZIP;  // parse the gzip header and check the trailer's CRC
    }

    Result<void> decode(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
        if (out.empty()) return {};
        if (state_->block_state == ISAL_BLOCK_FINISH) {
            if (in.empty()) return {};
            isal_.reset(state_.get());  // the next member of a concatenated stream
            state_->crc_flag = ISAL_GZIP;
        }
        state_->next_in = const_cast<uint8_t*>(in.data());
        state_->avail_in = clamp32(in.size());
        state_->next_out = out.data();
        state_->avail_out = clamp32(out.size());
        int rc = isal_.inflate(state_.get());
        in = in.subspan(static_cast<size_t>(state_->next_in - in.data()));
        out = out.subspan(static_cast<size_t>(state_->next_out - out.data()));
        if (rc != ISAL_DECOMP_OK) return fail(ErrorKind::InvalidArgument, error_text(rc));
        return {};
    }
    bool at_boundary() const override { return state_->block_state == ISAL_BLOCK_FINISH; }

  private:
    static std::string error_text(int rc) {
        switch (rc) {
            case ISAL_INVALID_BLOCK:
                return "invalid block";
            case ISAL_INVALID_SYMBOL:
                return "invalid symbol";
            case ISAL_INVALID_LOOKBACK:
                return "invalid distance";
            case ISAL_INVALID_WRAPPER:
                return "invalid header";
            case ISAL_INCORRECT_CHECKSUM:
                return "incorrect checksum";
            default:
                return "invalid stream (isa-l error " + std::to_string(rc) + ")";
        }
    }

    IsalInflate isal_;
    std::unique_ptr<inflate_state> state_;  // ~20 KiB of tables: on the heap
};
#endif

class Zstd final : public Codec {
  public:
    static Result<std::unique_ptr<Codec>> make() {
        auto codec = std::make_unique<Zstd>();
        codec->stream_ = ZSTD_createDStream();
        if (codec->stream_ == nullptr) return fail(ErrorKind::Internal, "zstd: out of memory");
        ZSTD_initDStream(codec->stream_);
        return codec;
    }
    ~Zstd() override { ZSTD_freeDStream(stream_); }

    Result<void> decode(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
        if (out.empty()) return {};
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        ZSTD_outBuffer output{out.data(), out.size(), 0};
        size_t rc = ZSTD_decompressStream(stream_, &output, &input);
        in = in.subspan(input.pos);
        out = out.subspan(output.pos);
        if (ZSTD_isError(rc)) return fail(ErrorKind::InvalidArgument, ZSTD_getErrorName(rc));
        // 0: a frame is complete and fully flushed; concatenated frames simply continue. A call
        // that did nothing (no input left) answers with the next frame's header size instead.
        if (input.pos > 0 || output.pos > 0) frame_done_ = rc == 0;
        return {};
    }
    bool at_boundary() const override { return frame_done_; }

  private:
    ZSTD_DStream* stream_ = nullptr;
    bool frame_done_ = false;
};

Result<std::unique_ptr<Codec>> make_codec(Compression compression, GzipBackend gzip) {
    switch (compression) {
        case Compression::Gzip:
#ifdef BERTH_HAVE_ISAL
            if (const IsalInflate* isal = isal_inflate_functions();
                isal != nullptr && gzip == GzipBackend::Best)
                return std::make_unique<IsalGzip>(*isal);
#else
            (void)gzip;
#endif
            return ZlibGzip::make();
        case Compression::Zstd:
            return Zstd::make();
        case Compression::None:
            break;
    }
    return std::unique_ptr<Codec>();
}

}  // namespace

Compression detect_compression(std::string_view head) {
    if (starts_with(head, "\x1f\x8b")) return Compression::Gzip;
    if (starts_with(head, "\x28\xb5\x2f\xfd")) return Compression::Zstd;
    // A zstd stream may open with a skippable frame: magic 0x184D2A50..5F, little-endian.
    if (head.size() >= 4 && (static_cast<uint8_t>(head[0]) & 0xf0) == 0x50 &&
        starts_with(head.substr(1), "\x2a\x4d\x18"))
        return Compression::Zstd;
    return Compression::None;
}

std::string_view to_string(Compression compression) {
    switch (compression) {
        case Compression::None:
            return "none";
        case Compression::Gzip:
            return "gzip";
        case Compression::Zstd:
            return "zstd";
    }
    return "unknown";
}

struct Decompressor::Impl {
    int fd = -1;
    Compression compression = Compression::None;
    std::unique_ptr<Codec> codec;  // null for an uncompressed stream
    std::vector<uint8_t> input;
    size_t input_pos = 0;
    size_t input_len = 0;
    bool eof = false;
    uint64_t consumed = 0;

    // Reads more compressed bytes into `input` (which must be used up). Sets eof at the end.
    Result<void> refill() {
        input_pos = 0;
        input_len = 0;
        for (;;) {
            ssize_t n = ::read(fd, input.data(), input.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail_errno("read layer");
            }
            if (n == 0) eof = true;
            input_len = static_cast<size_t>(n);
            return {};
        }
    }

    Result<size_t> read_plain(std::span<std::byte> out) {
        size_t done = 0;
        if (input_pos < input_len) {  // the bytes read ahead to detect the compression
            done = std::min(out.size(), input_len - input_pos);
            std::memcpy(out.data(), input.data() + input_pos, done);
            input_pos += done;
            consumed += done;
        }
        while (done < out.size() && !eof) {
            ssize_t n = ::read(fd, out.data() + done, out.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail_errno("read layer");
            }
            if (n == 0) eof = true;
            done += static_cast<size_t>(n);
            consumed += static_cast<size_t>(n);
        }
        return done;
    }

    Result<size_t> read_compressed(std::span<std::byte> out_bytes) {
        std::span<uint8_t> out(reinterpret_cast<uint8_t*>(out_bytes.data()), out_bytes.size());
        size_t wanted = out.size();
        while (!out.empty()) {
            if (input_pos == input_len && !eof) TRY(refill());
            std::span<const uint8_t> in(input.data() + input_pos, input_len - input_pos);
            size_t in_before = in.size();
            size_t out_before = out.size();
            if (auto r = codec->decode(in, out); !r) {
                consumed += in_before - in.size();
                return fail(ErrorKind::InvalidArgument, std::string(to_string(compression)) + ": " +
                                                            r.error().message() + " at byte " +
                                                            std::to_string(consumed));
            }
            input_pos += in_before - in.size();
            consumed += in_before - in.size();
            bool progress = in.size() != in_before || out.size() != out_before;
            if (progress || input_pos < input_len) {
                if (!progress)
                    return fail(ErrorKind::Internal, std::string(to_string(compression)) +
                                                         ": decoder stalled at byte " +
                                                         std::to_string(consumed));
                continue;
            }
            if (!eof) continue;
            // No input left and nothing more comes out: the stream must end on a boundary.
            if (!codec->at_boundary())
                return fail(ErrorKind::InvalidArgument, std::string(to_string(compression)) +
                                                            ": unexpected end of stream at byte " +
                                                            std::to_string(consumed));
            break;
        }
        return wanted - out.size();
    }
};

Decompressor::Decompressor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;
Decompressor::~Decompressor() = default;

Result<Decompressor> Decompressor::open(int fd, GzipBackend gzip) {
    auto impl = std::make_unique<Impl>();
    impl->fd = fd;
    impl->input.resize(kInputSize);
    // A pipe may hand out a few bytes at a time: gather enough to see the magic number.
    while (impl->input_len < kMagicSize && !impl->eof) {
        ssize_t n = ::read(fd, impl->input.data() + impl->input_len, kInputSize - impl->input_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read layer");
        }
        if (n == 0) impl->eof = true;
        impl->input_len += static_cast<size_t>(n);
    }
    std::string_view head(reinterpret_cast<const char*>(impl->input.data()), impl->input_len);
    if (starts_with(head,
                    "\xfd"
                    "7zXZ\x00"))
        return fail(ErrorKind::Unsupported, "xz-compressed layers are not supported");
    // "BZh", the block size digit, then the first block's magic (so a tar whose first file is
    // named "BZh..." is not taken for bzip2).
    if (head.size() >= 10 && starts_with(head, "BZh") && head.substr(4, 6) == "1AY&SY")
        return fail(ErrorKind::Unsupported, "bzip2-compressed layers are not supported");
    impl->compression = detect_compression(head);
    impl->codec = TRY(make_codec(impl->compression, gzip));
    return Decompressor(std::move(impl));
}

Compression Decompressor::compression() const {
    return impl_->compression;
}

uint64_t Decompressor::compressed_offset() const {
    return impl_->consumed;
}

Result<size_t> Decompressor::read(std::span<std::byte> out) {
    if (impl_->codec == nullptr) return impl_->read_plain(out);
    return impl_->read_compressed(out);
}

}  // namespace berth::image
