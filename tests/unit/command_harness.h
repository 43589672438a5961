// In-process command harness: a store on a fake clock and Run({"SET","k","v"}) returning the
// raw RESP reply, dispatched the way the server does it (kMultiKey rows per key group, then
// MergeParts) but without sockets or threads. kLocal and kAsync rows are not runnable here.
#pragma once

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/propagation.h"
#include "proxy/command.h"
#include "resp/writer.h"
#include "shards/clock.h"
#include "shards/store.h"

namespace ringside::testing {

class CommandHarness : public ::testing::Test {
 protected:
  CommandHarness() : store_(0, 1, 16, &clock_) { proxy::PropagateRemovals(store_, &records_); }

  std::string Run(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    resp::Writer w(&out);
    const proxy::CommandRow* row =
        views.empty() ? nullptr : proxy::CommandTable::Get().Find(views[0]);
    if (row == nullptr) {
      w.Error(proxy::UnknownCommandError(views));
      return out;
    }
    if (!proxy::ArityOk(*row, views.size())) {
      w.Error(proxy::ArityError(row->name));
      return out;
    }
    proxy::CommandContext ctx;
    ctx.db = db_;
    ctx.store = &store_;
    ctx.propagation = &records_;
    ctx.proto_max_bulk_len = proto_max_bulk_len_;
    switch (row->exec) {
      case proxy::Exec::kSingleKey:
        ctx.args = views;
        ctx.out = &w;
        row->handler(ctx);
        return out;
      case proxy::Exec::kMultiKey: {
        std::vector<resp::Output> parts;
        for (size_t pos : proxy::KeyPositions(*row, views.size())) {
          std::vector<std::string_view> group{views[0]};
          for (int i = 0; i < row->key_step; ++i) group.push_back(views[pos + i]);
          std::string part;
          resp::Writer pw(&part);
          ctx.args = group;
          ctx.out = &pw;
          row->handler(ctx);
          parts.push_back(resp::Output{std::move(part), {}});
        }
        return proxy::MergeParts(row->merge, parts).text;
      }
      case proxy::Exec::kLocal:
      case proxy::Exec::kAsync:
        ADD_FAILURE() << row->name << " is not runnable in the harness";
        return out;
    }
    return out;
  }

  // Reply builders for readable expectations.
  static std::string Bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
  static std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
  static std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }
  static constexpr std::string_view kOk = "+OK\r\n";
  static constexpr std::string_view kNil = "$-1\r\n";

  // Every propagation record the handlers produced, as "db:ARG ARG ...".
  struct Records : backend::PropagationSink {
    void Record(int db, std::span<const std::string_view> argv) override {
      std::string line = std::to_string(db) + ":";
      for (size_t i = 0; i < argv.size(); ++i) {
        if (i > 0) line += ' ';
        line += argv[i];
      }
      lines.push_back(std::move(line));
    }
    std::vector<std::string> lines;
  };
  // The records since the last call.
  std::vector<std::string> TakeRecords() { return std::exchange(records_.lines, {}); }

  Records records_;
  shards::FakeClock clock_;
  shards::Store store_;
  int db_ = 0;
  int64_t proto_max_bulk_len_ = 512ll * 1024 * 1024;
};

}  // namespace ringside::testing
