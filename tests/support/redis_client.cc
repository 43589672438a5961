#include "tests/support/redis_client.h"

#include <gtest/gtest.h>
#include <sys/time.h>

#include <sstream>

#include "tests/support/transport.h"

namespace ringside::testing {

namespace {

void PrintQuoted(std::ostream& os, const std::string& s) {
  os << '"';
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      os << '\\' << ch;
    } else if (ch >= 0x20 && ch < 0x7f) {
      os << ch;
    } else {
      static const char kHex[] = "0123456789abcdef";
      os << "\\x" << kHex[ch >> 4] << kHex[ch & 0xf];
    }
  }
  os << '"';
}

std::vector<const char*> ArgvPointers(const std::vector<std::string>& argv,
                                      std::vector<size_t>* lens) {
  std::vector<const char*> ptrs;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens->push_back(a.size());
  }
  return ptrs;
}

Reply IoError(const redisContext* ctx) {
  Reply r;
  r.type = Reply::Type::kIoError;
  r.str = ctx == nullptr ? "no context" : std::string(ctx->errstr);
  return r;
}

}  // namespace

std::vector<std::string> Reply::Strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.type == Type::kNil ? "<nil>" : e.str);
  return out;
}

bool operator==(const Reply& a, const Reply& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Reply::Type::kInteger:
      return a.integer == b.integer;
    case Reply::Type::kNil:
      return true;
    case Reply::Type::kArray:
      return a.elements == b.elements;
    default:
      return a.str == b.str;
  }
}

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  switch (r.type) {
    case Reply::Type::kStatus:
      return os << "+" << r.str;
    case Reply::Type::kError:
      return os << "-" << r.str;
    case Reply::Type::kInteger:
      return os << "(integer) " << r.integer;
    case Reply::Type::kBulk:
      if (r.str.size() > 200) {
        PrintQuoted(os, r.str.substr(0, 200));
        return os << "... (" << r.str.size() << " bytes)";
      }
      PrintQuoted(os, r.str);
      return os;
    case Reply::Type::kNil:
      return os << "(nil)";
    case Reply::Type::kArray: {
      os << "[";
      for (size_t i = 0; i < r.elements.size(); ++i) os << (i ? ", " : "") << r.elements[i];
      return os << "]";
    }
    case Reply::Type::kIoError:
      return os << "<I/O error: " << r.str << ">";
  }
  return os;
}

Reply Status(std::string s) {
  Reply r;
  r.type = Reply::Type::kStatus;
  r.str = std::move(s);
  return r;
}

Reply Error(std::string s) {
  Reply r;
  r.type = Reply::Type::kError;
  r.str = std::move(s);
  return r;
}

Reply Int(int64_t v) {
  Reply r;
  r.type = Reply::Type::kInteger;
  r.integer = v;
  return r;
}

Reply Bulk(std::string s) {
  Reply r;
  r.type = Reply::Type::kBulk;
  r.str = std::move(s);
  return r;
}

Reply Nil() { return Reply{}; }

Reply Array(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

Reply BulkArray(const std::vector<std::string>& elements) {
  std::vector<Reply> e;
  for (const auto& s : elements) e.push_back(Bulk(s));
  return Array(std::move(e));
}

Reply ArityError(const std::string& lower_name) {
  return Error("ERR wrong number of arguments for '" + lower_name + "' command");
}

Reply FromHiredis(const redisReply* r) {
  Reply out;
  if (r == nullptr) {
    out.type = Reply::Type::kIoError;
    out.str = "no reply";
    return out;
  }
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kBulk;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(FromHiredis(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
      break;
  }
  return out;
}

Client::Client(int port, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ctx_ = ConnectHiredis(port, tv);
  if (ctx_ == nullptr || ctx_->err != 0) {
    ADD_FAILURE() << "connect to " << ServerAddress(port) << ": " << error();
    return;
  }
  redisSetTimeout(ctx_, tv);
}

Client::~Client() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

std::string Client::error() const {
  if (ctx_ == nullptr) return "cannot allocate a hiredis context";
  return ctx_->err == 0 ? "" : std::string(ctx_->errstr);
}

Reply Client::Cmd(const std::vector<std::string>& argv) {
  if (!ok()) return IoError(ctx_);
  std::vector<size_t> lens;
  std::vector<const char*> ptrs = ArgvPointers(argv, &lens);
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (r == nullptr) return IoError(ctx_);
  Reply out = FromHiredis(r);
  freeReplyObject(r);
  return out;
}

void Client::Append(const std::vector<std::string>& argv) {
  if (!ok()) return;
  std::vector<size_t> lens;
  std::vector<const char*> ptrs = ArgvPointers(argv, &lens);
  redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data());
}

Reply Client::GetReply() {
  if (!ok()) return IoError(ctx_);
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return IoError(ctx_);
  auto* r = static_cast<redisReply*>(raw);
  Reply out = FromHiredis(r);
  freeReplyObject(r);
  return out;
}

bool Client::Flush() {
  if (!ok()) return false;
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return false;
  }
  return true;
}

std::map<std::string, std::string> ParseInfo(const std::string& info) {
  std::map<std::string, std::string> fields;
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

std::vector<std::string> InfoSections(const std::string& info) {
  std::vector<std::string> sections;
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > 2 && line[0] == '#' && line[1] == ' ') sections.push_back(line.substr(2));
  }
  return sections;
}

}  // namespace ringside::testing
