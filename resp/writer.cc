#include "resp/writer.h"

#include <charconv>

namespace ringside::resp {

namespace {

void AppendNumberLine(std::string* out, char prefix, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->push_back(prefix);
  out->append(buf, end);
  out->append("\r\n", 2);
}

}  // namespace

void Writer::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void Writer::Error(std::string_view msg) {
  out_->push_back('-');
  out_->append(msg);
  out_->append("\r\n", 2);
}

void Writer::Integer(int64_t v) { AppendNumberLine(out_, ':', v); }

void Writer::Bulk(std::string_view s) {
  AppendNumberLine(out_, '$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void Writer::ExternalBulk(const ExternalBytes& b) {
  if (splices_ == nullptr) return Bulk(b.bytes);
  AppendNumberLine(out_, '$', static_cast<int64_t>(b.bytes.size()));
  splices_->push_back(Output::Splice{out_->size(), b});
  out_->append("\r\n", 2);
}

void Writer::NullBulk() { out_->append("$-1\r\n", 5); }

void Writer::ArrayHeader(int64_t n) { AppendNumberLine(out_, '*', n); }

void Writer::NullArray() { out_->append("*-1\r\n", 5); }

}  // namespace ringside::resp
