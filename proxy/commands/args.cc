#include "proxy/commands/args.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shards/number_text.h"

namespace ringside::proxy {

namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string InvalidExpireError(std::string_view lower_name) {
  return "ERR invalid expire time in '" + std::string(lower_name) + "' command";
}

bool ParseInt64(std::string_view s, int64_t* out) { return shards::StrictInt64(s, out); }

bool ParseLongDouble(std::string_view s, long double* out) {
  return shards::ParseLongDouble(s, out);
}

std::string FormatLongDouble(long double v) { return shards::FormatLongDouble(v); }

bool EqualsNoCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != lower[i]) return false;
  }
  return true;
}

std::string LowerName(std::string_view name) {
  std::string r(name);
  for (char& c : r) c = LowerAscii(c);
  return r;
}

bool ValidClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c <= '~'; });
}

bool ParseScanCursor(std::string_view s, uint64_t* v) {
  const std::string text(s.substr(0, s.find('\0')));
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  *v = std::strtoull(text.c_str(), &end, 10);
  return errno != ERANGE && *end == '\0' && end != text.c_str();
}

std::string_view ParseCollectionScanArgs(std::span<const std::string_view> args, size_t from,
                                         std::string_view* pattern) {
  for (size_t i = from; i < args.size(); ++i) {
    const bool more = i + 1 < args.size();
    if (EqualsNoCase(args[i], "count") && more) {
      int64_t count = 0;
      if (!ParseInt64(args[++i], &count)) return kErrNotInteger;
      if (count < 1) return kErrSyntax;
    } else if (EqualsNoCase(args[i], "match") && more) {
      *pattern = args[++i];
    } else {
      return kErrSyntax;
    }
  }
  return {};
}

}  // namespace ringside::proxy
