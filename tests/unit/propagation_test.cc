#include "backend/propagation.h"

#include <gtest/gtest.h>

namespace ringside::backend {
namespace {

TEST(Propagation, EncodesCommandsAsRespMultibulk) {
  EXPECT_EQ(EncodeCommand({"SET", "k", "v"}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  EXPECT_EQ(EncodeCommand({"PING"}), "*1\r\n$4\r\nPING\r\n");
}

TEST(Propagation, IsBinarySafe) {
  const std::string value("a\r\nb\0c", 6);
  static constexpr char kExpected[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\na\r\nb\0c\r\n";
  EXPECT_EQ(EncodeCommand({"SET", "", value}), std::string(kExpected, sizeof(kExpected) - 1));
}

}  // namespace
}  // namespace ringside::backend
