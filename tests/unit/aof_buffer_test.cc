// AofBuffer: records become the bytes redis-server 7.0.15 wrote to its own appendonly file for
// the same writes (a SELECT before the first record and at every change of database).
#include "backend/aof_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ringside::backend {
namespace {

void Add(AofBuffer& b, int db, std::vector<std::string_view> argv) { b.Record(db, argv); }

TEST(AofBuffer, MatchesRedisAofBytes) {
  AofBuffer b;
  Add(b, 0, {"SET", "lazy", "v", "PXAT", "1795506380048"});
  Add(b, 2, {"SET", "lazy2", "v", "PXAT", "1795506380060"});
  Add(b, 0, {"DEL", "active"});
  Add(b, 0, {"DEL", "lazy"});
  Add(b, 2, {"DEL", "lazy2"});
  // The appendonly.aof.1.incr.aof redis-server wrote for those writes.
  const std::string expected =
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
      "*5\r\n$3\r\nSET\r\n$4\r\nlazy\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1795506380048\r\n"
      "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
      "*5\r\n$3\r\nSET\r\n$5\r\nlazy2\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1795506380060\r\n"
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
      "*2\r\n$3\r\nDEL\r\n$6\r\nactive\r\n"
      "*2\r\n$3\r\nDEL\r\n$4\r\nlazy\r\n"
      "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
      "*2\r\n$3\r\nDEL\r\n$5\r\nlazy2\r\n";
  EXPECT_EQ(b.size(), expected.size());
  EXPECT_EQ(b.Take(), expected);
  EXPECT_EQ(b.size(), 0u);
}

TEST(AofBuffer, TakeKeepsTheDatabaseAndForgetDbSelectsAgain) {
  AofBuffer b;
  Add(b, 5, {"INCR", "n"});
  b.Take();
  Add(b, 5, {"INCR", "n"});
  EXPECT_EQ(b.Take(), "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
  b.ForgetDb();
  Add(b, 5, {"INCR", "n"});
  EXPECT_EQ(b.Take(), "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
}

TEST(AofBuffer, IsBinarySafe) {
  AofBuffer b;
  const std::string value("a\r\n\0b", 5);
  Add(b, 0, {"SET", "k", value});
  static constexpr char kExpected[] =
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\n\0b\r\n";
  EXPECT_EQ(b.Take(), std::string(kExpected, sizeof(kExpected) - 1));
}

}  // namespace
}  // namespace ringside::backend
