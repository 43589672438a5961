#include "backend/propagation.h"

namespace ringside::backend {

namespace {

void AppendHeader(std::string* out, char prefix, size_t n) {
  out->push_back(prefix);
  out->append(std::to_string(n));
  out->append("\r\n", 2);
}

}  // namespace

void AppendCommand(std::string* out, const std::vector<std::string_view>& argv) {
  AppendHeader(out, '*', argv.size());
  for (std::string_view a : argv) {
    AppendHeader(out, '$', a.size());
    out->append(a);
    out->append("\r\n", 2);
  }
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out;
  AppendCommand(&out, std::vector<std::string_view>(argv.begin(), argv.end()));
  return out;
}

}  // namespace ringside::backend
