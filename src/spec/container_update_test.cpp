#include "spec/container_update.h"

#include <gtest/gtest.h>

namespace berth::spec {
namespace {

std::string error_of(const Result<Json>& result) {
    return result ? "" : result.error().message();
}

TEST(MergeUpdate, SetFieldsReplaceAndZeroFieldsKeep) {
    Json hc = {{"Memory", 100}, {"MemorySwap", 400}, {"CpuShares", 512}, {"CpusetCpus", "0"}};
    Json merged =
        merge_update(hc, {{"Memory", 200}, {"CpuShares", 0}, {"CpusetCpus", ""}, {"PidsLimit", 50}})
            .value();
    EXPECT_EQ(merged["Memory"], 200);
    EXPECT_EQ(merged["MemorySwap"], 400);
    EXPECT_EQ(merged["CpuShares"], 512);
    EXPECT_EQ(merged["CpusetCpus"], "0");
    EXPECT_EQ(merged["PidsLimit"], 50);
    EXPECT_EQ(merge_update(merged, {{"PidsLimit", -1}}).value()["PidsLimit"], 0);
}

TEST(MergeUpdate, ConflictsAreDockers409s) {
    auto nano = merge_update({{"NanoCpus", 500000000}}, {{"CpuQuota", 20000}});
    ASSERT_FALSE(nano);
    EXPECT_EQ(nano.error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(nano.error().message(),
              "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
    EXPECT_EQ(error_of(merge_update({{"CpuPeriod", 100000}}, {{"NanoCpus", 1000000000}})),
              "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been "
              "set");
    // More memory than the swap limit set, without a new swap limit (also when none is set).
    EXPECT_EQ(error_of(merge_update({{"Memory", 100}, {"MemorySwap", 200}}, {{"Memory", 300}})),
              "Memory limit should be smaller than already set memoryswap limit, update the "
              "memoryswap at the same time");
    EXPECT_EQ(error_of(merge_update(Json::object(), {{"Memory", 300}})),
              "Memory limit should be smaller than already set memoryswap limit, update the "
              "memoryswap at the same time");
    EXPECT_TRUE(merge_update(Json::object(), {{"Memory", 300}, {"MemorySwap", 600}}));
    EXPECT_EQ(
        error_of(merge_update({{"AutoRemove", true}}, {{"RestartPolicy", {{"Name", "always"}}}})),
        "Restart policy cannot be updated because AutoRemove is enabled for the container");
    EXPECT_TRUE(merge_update({{"AutoRemove", true}}, {{"RestartPolicy", {{"Name", "no"}}}}));
}

TEST(MergeUpdate, RestartPolicy) {
    Json merged =
        merge_update({{"RestartPolicy", {{"Name", "no"}, {"MaximumRetryCount", 0}}}},
                     {{"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}}})
            .value();
    EXPECT_EQ(merged["RestartPolicy"], Json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
    // An empty name leaves the policy alone.
    EXPECT_EQ(
        merge_update(merged, {{"RestartPolicy", {{"Name", ""}}}}).value()["RestartPolicy"]["Name"],
        "on-failure");
}

TEST(UpdateResources, OnlyWhatTheUpdateSets) {
    EXPECT_EQ(update_resources(Json::object()), Json::object());
    Json r = update_resources({{"NanoCpus", 500000000},
                               {"Memory", 100},
                               {"MemorySwap", -1},
                               {"PidsLimit", 0},
                               {"BlkioWeight", 300}});
    EXPECT_EQ(r["cpu"], Json({{"period", 100000}, {"quota", 50000}}));
    EXPECT_EQ(r["memory"], Json({{"limit", 100}}));  // -1 swap is not passed on
    EXPECT_EQ(r["pids"], Json({{"limit", -1}}));     // 0 lifts the limit
    EXPECT_EQ(r["blockIO"], Json({{"weight", 300}}));
    EXPECT_EQ(update_resources({{"CpuQuota", 20000}, {"CpuPeriod", 50000}})["cpu"],
              Json({{"period", 50000}, {"quota", 20000}}));
}

TEST(ValidateUpdate, DockersChecksOfTheBodyAlone) {
    auto message = [](const Json& body) {
        auto checked = validate_update(body);
        return checked ? "" : checked.error().message();
    };
    EXPECT_EQ(message({{"Memory", 1024}}), "Minimum memory limit allowed is 6MB");
    EXPECT_EQ(message({{"MemorySwap", 200 << 20}}), "");  // alone, unlike at create
    EXPECT_EQ(message({{"Memory", "x"}}), "UpdateConfig.Memory: must be an integer, not string");
    EXPECT_EQ(message({{"RestartPolicy", {{"Name", "always"}, {"MaximumRetryCount", 2}}}}),
              "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    EXPECT_EQ(message({{"KernelMemory", 1 << 30}}),
              "UpdateConfig.KernelMemory is not supported yet");
    EXPECT_EQ(message(Json::array()), "the update must be a JSON object");
}

}  // namespace
}  // namespace berth::spec
