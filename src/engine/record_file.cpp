#include "engine/record_file.h"

#include "base/json.h"

namespace berth::engine {

Result<void> write_record_file(const std::string& container_dir, const Container& container,
                               Durability durability) {
    return write_file_atomic(join_path(container_dir, kRecordFileName),
                             container_to_document(container).dump(), 0600, durability);
}

Result<Container> read_record_file(const std::string& container_dir, const std::string& id) {
    std::string path = join_path(container_dir, kRecordFileName);
    if (!path_exists(path)) return fail(ErrorKind::NotFound, "no " + path);
    auto doc = read_json_file(path);
    if (!doc) return fail(std::move(doc).error().context(path));
    auto container = container_from_document(*doc);
    if (!container) return fail(std::move(container).error().context(path));
    if (container->id != id)
        return fail(ErrorKind::InvalidArgument, path + ": it names container " + container->id);
    return container;
}

}  // namespace berth::engine
