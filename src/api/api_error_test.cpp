#include "api/api_error.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace berth::api {
namespace {

TEST(ApiError, KindsMapToDockersStatusCodes) {
    EXPECT_EQ(http_status(ErrorKind::NotFound), 404);
    EXPECT_EQ(http_status(ErrorKind::InvalidArgument), 400);
    EXPECT_EQ(http_status(ErrorKind::Conflict), 409);
    EXPECT_EQ(http_status(ErrorKind::AlreadyExists), 409);
    EXPECT_EQ(http_status(ErrorKind::PermissionDenied), 403);
    EXPECT_EQ(http_status(ErrorKind::Unavailable), 503);
    EXPECT_EQ(http_status(ErrorKind::Unsupported), 501);
    EXPECT_EQ(http_status(ErrorKind::Internal), 500);
}

TEST(ApiError, BodyIsAJsonMessage) {
    Json body = Json::parse(error_body("No such image: \"x\""));
    EXPECT_EQ(body, (Json{{"message", "No such image: \"x\""}}));
}

TEST(ApiError, InvalidUtf8DoesNotThrow) {
    std::string body = error_body(std::string("bad \xff name"));
    EXPECT_NE(body.find("bad"), std::string::npos);
}

}  // namespace
}  // namespace berth::api
