// What berthd and berth-monitor say to each other (monitor/monitor_protocol.h): a packet on
// monitor.sock as the monitor's control server reads it (attach/resize requests), monitor.json,
// exec.json and the exit record. Invariants: parsing never crashes and every refusal says why;
// what parses serialises (Json::dump must not throw) and parses back to the same thing; records
// built from any bytes (a health check's output, an error text) serialise; packets cross a
// SOCK_SEQPACKET socket whole, with their fds, and oversized ones are refused on both sides.
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/unique_fd.h"
#include "fuzz_util.h"
#include "monitor/monitor_protocol.h"

namespace {

namespace mon = berth::monitor;
using berth::Json;

// Json::dump, or the exception's text.
bool dumps(const Json& doc, std::string& out) {
    try {
        out = doc.dump();
        return true;
    } catch (const std::exception& e) {
        out = e.what();
        return false;
    }
}

// to_json(x) serialises, and what it serialises to parses back as `from` to the same JSON.
template <typename T, typename From>
void check_round_trip(const T& value, From from, const char* what) {
    Json doc = mon::to_json(value);
    std::string text;
    FUZZ_CHECK(dumps(doc, text), "%s does not serialise: %s", what, text.c_str());
    auto parsed = berth::parse_json(text, what);
    FUZZ_CHECK(parsed.has_value(), "%s serialises to JSON that does not parse: %s", what,
               text.c_str());
    auto again = from(*parsed);
    FUZZ_CHECK(again.has_value(), "%s %s does not read back: %s", what, text.c_str(),
               again.error().message().c_str());
    FUZZ_CHECK(mon::to_json(*again) == doc, "%s changes in a round trip: %s", what, text.c_str());
}

template <typename T>
void check_refusal(const berth::Result<T>& result, const char* what) {
    if (!result) FUZZ_CHECK(!result.error().message().empty(), "%s: empty error", what);
}

// A packet as ControlServer::serve reads one, and the three documents the protocol has.
void check_documents(const std::string& text) {
    auto doc = berth::parse_json(text, "monitor request");
    if (!doc) return;
    auto attach = mon::attach_from_json(*doc);
    check_refusal(attach, "attach");
    if (attach) check_round_trip(*attach, mon::attach_from_json, "attach request");
    auto container = mon::container_config_from_json(*doc);
    check_refusal(container, "monitor.json");
    if (container) check_round_trip(*container, mon::container_config_from_json, "monitor.json");
    auto exec = mon::exec_config_from_json(*doc);
    check_refusal(exec, "exec.json");
    if (exec) check_round_trip(*exec, mon::exec_config_from_json, "exec.json");
    auto exit = mon::exit_from_json(*doc);
    check_refusal(exit, "exit record");
    if (exit) check_round_trip(*exit, mon::exit_from_json, "exit record");
}

// Records whose strings are arbitrary bytes, as the monitor fills them from what it saw.
void check_records_from_bytes(FuzzedDataProvider& in) {
    mon::ExitRecord exit;
    exit.exit_code = in.ConsumeIntegral<int>();
    exit.oom_killed = in.ConsumeBool();
    exit.error = in.ConsumeRandomLengthString(64);
    exit.output = in.ConsumeRandomLengthString(256);
    std::string text;
    FUZZ_CHECK(dumps(mon::to_json(exit), text), "an exit record does not serialise: %s",
               text.c_str());
    mon::AttachRequest attach;
    attach.input = in.ConsumeRandomLengthString(256);
    check_round_trip(attach, mon::attach_from_json, "attach request with input");
}

void check_packets(FuzzedDataProvider& in) {
    int pair[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
    berth::UniqueFd a(pair[0]), b(pair[1]);
    size_t fd_count = in.ConsumeIntegralInRange<size_t>(0, mon::kMaxPacketFds + 1);
    std::vector<berth::UniqueFd> owned;
    std::vector<int> fds;
    for (size_t i = 0; i < fd_count; ++i) {
        owned.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        fds.push_back(owned.back().get());
    }
    std::string text = in.ConsumeRemainingBytesAsString();
    if (in.ConsumeBool() || text.empty()) text.resize(mon::kMaxPacketSize + text.size() % 2);
    auto sent = mon::send_packet(a.get(), text, fds);
    bool fits = text.size() <= mon::kMaxPacketSize && fd_count <= mon::kMaxPacketFds;
    FUZZ_CHECK(sent.has_value() == fits, "send_packet of %zu bytes and %zu fds: %s", text.size(),
               fd_count, sent ? "sent" : sent.error().message().c_str());
    if (!sent) return;
    auto got = mon::receive_packet(b.get());
    FUZZ_CHECK(got.has_value(), "receive_packet: %s", got.error().message().c_str());
    FUZZ_CHECK(got->text == text && got->fds.size() == fd_count,
               "a packet of %zu bytes and %zu fds arrived as %zu bytes and %zu fds", text.size(),
               fd_count, got->text.size(), got->fds.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > mon::kMaxPacketSize) return -1;
    std::string text(reinterpret_cast<const char*>(data), size);
    if (!json_nesting_within(text, kFuzzJsonDepth)) return -1;
    check_documents(text);
    FuzzedDataProvider in(data, size);
    check_records_from_bytes(in);
    check_packets(in);
    return 0;
}
