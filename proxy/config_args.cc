#include "proxy/config_args.h"

#include <cctype>

namespace ringside::proxy::config_internal {

namespace {

char At(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The character a backslash escape inside double quotes stands for.
char Unescape(char e) {
  switch (e) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return e;
  }
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> out;
  size_t p = 0;
  while (true) {
    while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    if (p >= line.size()) return out;
    std::string cur;
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      const char c = At(line, p);
      if (in_double) {
        if (c == '\0') return std::nullopt;
        if (c == '\\' && At(line, p + 1) == 'x' && HexValue(At(line, p + 2)) >= 0 &&
            HexValue(At(line, p + 3)) >= 0) {
          cur += static_cast<char>(HexValue(At(line, p + 2)) * 16 + HexValue(At(line, p + 3)));
          p += 3;
        } else if (c == '\\' && At(line, p + 1) != '\0') {
          cur += Unescape(At(line, ++p));
        } else if (c == '"') {
          const char next = At(line, p + 1);
          if (next != '\0' && !std::isspace(static_cast<unsigned char>(next))) return std::nullopt;
          done = true;
        } else {
          cur += c;
        }
      } else if (in_single) {
        if (c == '\0') return std::nullopt;
        if (c == '\\' && At(line, p + 1) == '\'') {
          cur += '\'';
          ++p;
        } else if (c == '\'') {
          const char next = At(line, p + 1);
          if (next != '\0' && !std::isspace(static_cast<unsigned char>(next))) return std::nullopt;
          done = true;
        } else {
          cur += c;
        }
      } else if (c == '\0' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        done = true;
      } else if (c == '"') {
        in_double = true;
      } else if (c == '\'') {
        in_single = true;
      } else {
        cur += c;
      }
      if (p < line.size()) ++p;
    }
    out.push_back(std::move(cur));
  }
}

std::string QuoteArg(std::string_view s) {
  if (!s.empty() && s.find_first_of(" \t\r\n\"'\\") == std::string_view::npos) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace ringside::proxy::config_internal
