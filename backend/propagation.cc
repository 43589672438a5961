#include "backend/propagation.h"

namespace ringside::backend {

namespace {

void AppendHeader(std::string* out, char prefix, size_t n) {
  out->push_back(prefix);
  out->append(std::to_string(n));
  out->append("\r\n", 2);
}

}  // namespace

void AppendCommand(std::string* out, std::span<const std::string_view> argv) {
  AppendHeader(out, '*', argv.size());
  for (std::string_view a : argv) {
    AppendHeader(out, '$', a.size());
    out->append(a);
    out->append("\r\n", 2);
  }
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out;
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  AppendCommand(&out, views);
  return out;
}

}  // namespace ringside::backend
