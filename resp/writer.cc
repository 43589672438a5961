#include "resp/writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

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

void Writer::NullBulk() {
  if (resp3()) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void Writer::ArrayHeader(int64_t n) { AppendNumberLine(out_, '*', n); }

void Writer::NullArray() {
  if (resp3()) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void Writer::MapHeader(int64_t n) {
  if (resp3()) {
    AppendNumberLine(out_, '%', n);
  } else {
    AppendNumberLine(out_, '*', 2 * n);
  }
}

void Writer::SetHeader(int64_t n) { AppendNumberLine(out_, resp3() ? '~' : '*', n); }

void Writer::PushHeader(int64_t n) { AppendNumberLine(out_, resp3() ? '>' : '*', n); }

void Writer::PairsHeader(int64_t n) { AppendNumberLine(out_, '*', resp3() ? n : 2 * n); }

void Writer::PairHeader() {
  if (resp3()) out_->append("*2\r\n");
}

void Writer::Double(double v) {
  char buf[64];
  int len;
  if (std::isinf(v)) {
    len = std::snprintf(buf, sizeof(buf), "%s", v > 0 ? "inf" : "-inf");
  } else {
    len = std::snprintf(buf, sizeof(buf), "%.17g", v);
  }
  const std::string_view text(buf, static_cast<size_t>(len));
  if (!resp3()) return Bulk(text);
  out_->push_back(',');
  out_->append(text);
  out_->append("\r\n", 2);
}

void Writer::Boolean(bool v) {
  if (resp3()) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n", 4);
  }
}

void Writer::Verbatim(std::string_view format, std::string_view text) {
  if (!resp3()) return Bulk(text);
  AppendNumberLine(out_, '=', static_cast<int64_t>(format.size() + 1 + text.size()));
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace ringside::resp
