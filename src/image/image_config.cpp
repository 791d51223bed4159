#include "image/image_config.h"

namespace berth::image {

Result<ImageConfig> parse_image_config(std::string_view text) {
    ImageConfig config;
    config.raw = TRY(parse_json(text, "image config"));
    const Json& j = config.raw;
    if (!j.is_object()) return fail(ErrorKind::InvalidArgument, "image config: not a JSON object");
    TRY(get_optional(j, "os", config.platform.os, "image config"));
    TRY(get_optional(j, "architecture", config.platform.architecture, "image config"));
    TRY(get_optional(j, "variant", config.platform.variant, "image config"));
    TRY(get_optional(j, "created", config.created, "image config"));

    auto rootfs = j.find("rootfs");
    if (rootfs == j.end() || !rootfs->is_object())
        return fail(ErrorKind::InvalidArgument, "image config: rootfs missing");
    std::string type;
    TRY(get_optional(*rootfs, "type", type, "image config.rootfs"));
    if (type != "layers")
        return fail(ErrorKind::InvalidArgument,
                    "image config.rootfs.type: \"" + type + "\", expected \"layers\"");
    std::vector<std::string> diff_ids;
    TRY(get_optional(*rootfs, "diff_ids", diff_ids, "image config.rootfs"));
    for (size_t i = 0; i < diff_ids.size(); ++i)
        config.diff_ids.push_back(TRY_CTX(
            Digest::parse(diff_ids[i]), "image config.rootfs.diff_ids[" + std::to_string(i) + "]"));

    if (auto history = j.find("history"); history != j.end() && history->is_array()) {
        for (size_t i = 0; i < history->size(); ++i) {
            const Json& h = (*history)[i];
            std::string where = "image config.history[" + std::to_string(i) + "]";
            if (!h.is_object())
                return fail(ErrorKind::InvalidArgument, where + ": must be an object");
            HistoryEntry entry;
            TRY(get_optional(h, "created", entry.created, where));
            TRY(get_optional(h, "created_by", entry.created_by, where));
            TRY(get_optional(h, "author", entry.author, where));
            TRY(get_optional(h, "comment", entry.comment, where));
            TRY(get_optional(h, "empty_layer", entry.empty_layer, where));
            config.history.push_back(std::move(entry));
        }
    }
    return config;
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
    std::vector<Digest> chain;
    chain.reserve(diff_ids.size());
    for (auto& diff_id : diff_ids) {
        if (chain.empty())
            chain.push_back(diff_id);
        else
            chain.push_back(sha256_of(chain.back().str() + " " + diff_id.str()));
    }
    return chain;
}

}  // namespace berth::image
