#include "resp/reply_scanner.h"

#include <charconv>
#include <cstdint>
#include <string>

namespace ringside::resp {

namespace {

// Aggregates a reply may announce; more is taken for garbage rather than trusted.
constexpr int64_t kMaxElements = int64_t{1} << 32;

}  // namespace

ReplyScan ScanReply(std::string_view buf) {
  size_t pos = 0;
  int64_t pending = 1;  // values still to read, nested ones included
  while (pending > 0) {
    if (pos >= buf.size()) return {ScanStatus::kNeedMore};
    const size_t cr = buf.find('\r', pos);
    if (cr == std::string_view::npos || cr + 1 >= buf.size()) return {ScanStatus::kNeedMore};
    if (buf[cr + 1] != '\n') return {ScanStatus::kMalformed};
    const char type = buf[pos];
    const std::string_view line = buf.substr(pos + 1, cr - pos - 1);
    pos = cr + 2;
    --pending;
    int64_t n = 0;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case '_':
      case ',':
      case '#':
      case '(':
        continue;
      case '$':
      case '=':
      case '!':
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
        if (ec != std::errc() || end != line.data() + line.size() || n < -1 || n > kMaxElements) {
          return {ScanStatus::kMalformed};
        }
        break;
      }
      default:
        return {ScanStatus::kMalformed};
    }
    if (type == '$' || type == '=' || type == '!') {
      if (n < 0) continue;  // $-1: a RESP2 null
      const size_t need = static_cast<size_t>(n) + 2;
      if (buf.size() - pos < need) return {ScanStatus::kNeedMore};
      pos += need;
      continue;
    }
    if (n < 0) continue;  // *-1
    if (type == '%') {
      pending += 2 * n;
    } else if (type == '|') {
      pending += 2 * n + 1;  // the attribute's pairs, then the value it describes
    } else {
      pending += n;
    }
  }
  return {ScanStatus::kComplete, pos};
}

std::string Resp2NullsToResp3(std::string_view reply) {
  std::string out;
  out.reserve(reply.size());
  size_t pos = 0;
  while (pos < reply.size()) {
    const size_t cr = reply.find("\r\n", pos);
    if (cr == std::string_view::npos) break;
    const std::string_view line = reply.substr(pos, cr + 2 - pos);
    pos = cr + 2;
    if (line == "$-1\r\n" || line == "*-1\r\n") {
      out.append("_\r\n");
      continue;
    }
    out.append(line);
    if (line[0] == '$') {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(line.data() + 1, line.data() + line.size() - 2, n);
      if (ec != std::errc() || n < 0 || reply.size() - pos < static_cast<size_t>(n) + 2) break;
      out.append(reply.substr(pos, static_cast<size_t>(n) + 2));
      pos += static_cast<size_t>(n) + 2;
    }
  }
  out.append(reply.substr(pos));
  return out;
}

std::string Resp2ToResp3(std::string_view reply, Resp3Shape shape) {
  if (shape == Resp3Shape::kNullsOnly || reply.empty() || reply[0] != '*') {
    return Resp2NullsToResp3(reply);
  }
  const size_t cr = reply.find("\r\n");
  int64_t n = 0;
  if (cr == std::string_view::npos) return Resp2NullsToResp3(reply);
  auto [end, ec] = std::from_chars(reply.data() + 1, reply.data() + cr, n);
  if (ec != std::errc() || end != reply.data() + cr || n < 0) return Resp2NullsToResp3(reply);
  const std::string_view body = reply.substr(cr + 2);
  switch (shape) {
    case Resp3Shape::kSet:
      return "~" + std::to_string(n) + "\r\n" + Resp2NullsToResp3(body);
    case Resp3Shape::kMap:
      if (n % 2 != 0) break;
      return "%" + std::to_string(n / 2) + "\r\n" + Resp2NullsToResp3(body);
    case Resp3Shape::kPairs: {
      if (n % 2 != 0) break;
      std::string out = "*" + std::to_string(n / 2) + "\r\n";
      size_t pos = 0;
      for (int64_t i = 0; i < n; ++i) {
        const ReplyScan scan = ScanReply(body.substr(pos));
        if (scan.status != ScanStatus::kComplete) return Resp2NullsToResp3(reply);
        if (i % 2 == 0) out += "*2\r\n";
        out += Resp2NullsToResp3(body.substr(pos, scan.length));
        pos += scan.length;
      }
      out += body.substr(pos);
      return out;
    }
    case Resp3Shape::kNullsOnly:
      break;
  }
  return Resp2NullsToResp3(reply);
}

}  // namespace ringside::resp
