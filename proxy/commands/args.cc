#include "proxy/commands/args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shards/int_text.h"

namespace ringside::proxy {

namespace {

// Longer text is refused before copying it for strtold.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string InvalidExpireError(std::string_view lower_name) {
  return "ERR invalid expire time in '" + std::string(lower_name) + "' command";
}

bool ParseInt64(std::string_view s, int64_t* out) { return shards::StrictInt64(s, out); }

bool ParseLongDouble(std::string_view s, long double* out) {
  // The whole argument must be the number, so an embedded NUL byte makes it invalid.
  if (s.empty() || s.size() >= kMaxLongDoubleChars || s.find('\0') != s.npos) return false;
  char buf[kMaxLongDoubleChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  errno = 0;
  char* end = nullptr;
  const long double v = std::strtold(buf, &end);
  if (end == buf || *end != '\0') return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0.0L)) return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The widest finite long double needs ~4950 integer digits plus 18 for the fraction.
  std::vector<char> buf(kMaxLongDoubleChars + 32);
  int len = std::snprintf(buf.data(), buf.size(), "%.17Lf", v);
  if (len < 0 || static_cast<size_t>(len) >= buf.size()) return std::string();
  std::string_view text(buf.data(), static_cast<size_t>(len));
  if (text.find('.') != std::string_view::npos) {
    while (text.back() == '0') text.remove_suffix(1);
    if (text.back() == '.') text.remove_suffix(1);
  }
  if (text == "-0") return "0";
  return std::string(text);
}

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

}  // namespace ringside::proxy
