#include "proxy/commands/docs.h"

#include <array>
#include <cctype>
#include <cstddef>
#include <utility>

namespace ringside::proxy {

namespace {

constexpr std::array<std::pair<std::string_view, DocArgType>, 9> kTypeNames = {{
    {"key", DocArgType::kKey},
    {"string", DocArgType::kString},
    {"integer", DocArgType::kInteger},
    {"double", DocArgType::kDouble},
    {"pattern", DocArgType::kPattern},
    {"unix-time", DocArgType::kUnixTime},
    {"pure-token", DocArgType::kPureToken},
    {"oneof", DocArgType::kOneOf},
    {"block", DocArgType::kBlock},
}};

// Value types a syntax line may state after a ':' (the others follow from the structure).
bool ValueTypeFromName(std::string_view name, DocArgType* type) {
  for (const auto& [n, t] : kTypeNames) {
    if (n == name && t != DocArgType::kPureToken && t != DocArgType::kOneOf &&
        t != DocArgType::kBlock) {
      *type = t;
      return true;
    }
  }
  return false;
}

DocArgType InferType(std::string_view name) {
  static constexpr std::string_view kIntegers[] = {
      "seconds", "milliseconds", "count",     "offset",  "start",    "end",       "cursor",
      "index",   "increment",    "decrement", "timeout", "protover", "client-id", "numkeys",
      "db",      "port",         "len",       "rank",    "limit"};
  if (name == "key" || name == "newkey") return DocArgType::kKey;
  if (name == "pattern") return DocArgType::kPattern;
  if (name.starts_with("unix-time")) return DocArgType::kUnixTime;
  for (std::string_view n : kIntegers) {
    if (n == name) return DocArgType::kInteger;
  }
  return DocArgType::kString;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '/';
}

// A literal token has upper-case letters and no lower-case ones ("NX", "EXAT").
bool IsTokenWord(std::string_view word) {
  bool upper = false;
  for (char c : word) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    if (std::isupper(static_cast<unsigned char>(c))) upper = true;
  }
  return upper;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One item of a syntax line as written, before it becomes an argument.
struct Node {
  bool is_group = false;
  // A word: the argument name or the literal token, and an explicit type if one was given.
  std::string word;
  bool has_type = false;
  DocArgType type = DocArgType::kString;
  // A group: its alternatives, each a sequence of items.
  std::vector<std::vector<Node>> alts;
  bool optional = false;
  bool repeats = false;
  std::string label;
  // The item's source with spacing normalised, to recognise "key value [key value ...]".
  std::string text;

  bool IsToken() const { return !is_group && IsTokenWord(word); }
};

std::string JoinText(const std::vector<Node>& items) {
  std::string out;
  for (const Node& n : items) {
    if (!out.empty()) out += ' ';
    out += n.text;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool Parse(std::vector<Node>* items) {
    bool repeats = false;
    if (!ParseSeq(items, &repeats, /*in_group=*/false)) return false;
    if (pos_ < s_.size()) return Fail(std::string("unexpected '") + s_[pos_] + "'");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string msg) {
    error_ = msg + " at offset " + std::to_string(pos_);
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }

  // Items up to the end of the line or of the enclosing alternative.
  bool ParseSeq(std::vector<Node>* items, bool* repeats, bool in_group) {
    for (;;) {
      SkipSpace();
      if (pos_ == s_.size() || s_[pos_] == ']' || s_[pos_] == ')' || s_[pos_] == '|') break;
      if (s_.substr(pos_).starts_with("...")) {
        if (!in_group || items->empty()) return Fail("'...' outside a group");
        pos_ += 3;
        SkipSpace();
        if (pos_ == s_.size() || (s_[pos_] != ']' && s_[pos_] != ')')) {
          return Fail("'...' must end its group");
        }
        *repeats = true;
        break;
      }
      Node item;
      if (!ParseItem(&item)) return false;
      items->push_back(std::move(item));
      Collapse(items);
    }
    if (items->empty()) return in_group ? Fail("empty group or alternative") : true;
    return true;
  }

  bool ParseItem(Node* item) {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsWordChar(s_[pos_])) ++pos_;
    std::string_view word = s_.substr(start, pos_ - start);
    if (pos_ < s_.size() && s_[pos_] == '=') {
      if (word.empty()) return Fail("'=' without a name");
      item->label = std::string(word);
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '[' || s_[pos_] == '(')) {
        if (!ParseGroup(item)) return false;
      } else {
        const size_t token_start = pos_;
        while (pos_ < s_.size() && IsWordChar(s_[pos_])) ++pos_;
        item->word = std::string(s_.substr(token_start, pos_ - token_start));
        if (item->word.empty()) return Fail("a name with nothing to name");
      }
      item->text = item->label + "=" + (item->is_group ? item->text : item->word);
      return true;
    }
    if (word.empty()) {
      if (pos_ < s_.size() && (s_[pos_] == '[' || s_[pos_] == '(')) return ParseGroup(item);
      return Fail(std::string("unexpected '") + (pos_ < s_.size() ? s_[pos_] : ' ') + "'");
    }
    item->text = std::string(word);
    // "increment:double" states a type; "ip:port" is just a name.
    const size_t colon = word.rfind(':');
    if (colon != std::string_view::npos && ValueTypeFromName(word.substr(colon + 1), &item->type)) {
      item->has_type = true;
      word = word.substr(0, colon);
      if (word.empty() || IsTokenWord(word)) return Fail("a type on a token or on nothing");
    }
    item->word = std::string(word);
    return true;
  }

  bool ParseGroup(Node* g) {
    const char close = s_[pos_] == '[' ? ']' : ')';
    g->is_group = true;
    g->optional = close == ']';
    ++pos_;
    std::string text;
    for (;;) {
      std::vector<Node> alt;
      bool repeats = false;
      if (!ParseSeq(&alt, &repeats, /*in_group=*/true)) return false;
      // A trailing "..." repeats the whole group, whichever alternatives it has.
      if (repeats) {
        if (s_[pos_] != close) return Fail("'...' in an alternative");
        g->repeats = true;
      }
      if (!text.empty()) text += '|';
      text += JoinText(alt);
      g->alts.push_back(std::move(alt));
      if (pos_ == s_.size()) return Fail("unclosed group");
      if (s_[pos_] == '|') {
        ++pos_;
        continue;
      }
      if (s_[pos_] != close) return Fail(std::string("expected '") + close + "'");
      ++pos_;
      break;
    }
    g->text = (g->optional ? "[" : "(") + text + (g->repeats ? " ..." : "") + close;
    return true;
  }

  // "x [x ...]" and "key value [key value ...]": a trailing optional repetition of exactly the
  // items before it becomes one required repeating group holding those items.
  static void Collapse(std::vector<Node>* items) {
    Node& last = items->back();
    if (!last.is_group || !last.optional || !last.repeats || last.alts.size() != 1 ||
        !last.label.empty()) {
      return;
    }
    const std::string body = JoinText(last.alts[0]);
    const size_t before = items->size() - 1;
    for (size_t k = 1; k <= before; ++k) {
      std::vector<Node> prefix(items->begin() + static_cast<std::ptrdiff_t>(before - k),
                               items->begin() + static_cast<std::ptrdiff_t>(before));
      if (JoinText(prefix) != body) continue;
      Node rep;
      rep.is_group = true;
      rep.repeats = true;
      rep.text = JoinText(prefix) + " " + last.text;
      rep.alts.push_back(std::move(prefix));
      items->resize(before - k);
      items->push_back(std::move(rep));
      return;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

std::string JoinNames(const std::vector<DocArg>& args) {
  std::string out;
  for (const DocArg& a : args) {
    if (!out.empty()) out += '_';
    out += a.name;
  }
  return out;
}

DocArg FromGroup(const Node& g);

DocArg FromItem(const Node& n) {
  if (n.is_group) return FromGroup(n);
  DocArg a;
  if (n.IsToken()) {
    a.name = Lower(n.word);
    a.type = DocArgType::kPureToken;
    a.token = n.word;
  } else {
    a.name = n.word;
    a.type = n.has_type ? n.type : InferType(n.word);
  }
  if (!n.label.empty()) a.name = n.label;
  return a;
}

std::vector<DocArg> FromSeq(const std::vector<Node>& items) {
  std::vector<DocArg> out;
  for (const Node& n : items) out.push_back(FromItem(n));
  return out;
}

DocArg Block(std::vector<DocArg> children, std::string token) {
  DocArg b;
  b.type = DocArgType::kBlock;
  b.name = JoinNames(children);
  b.token = std::move(token);
  b.children = std::move(children);
  return b;
}

// One alternative of a group is one argument: a single item, a token with its value, or a
// block (with a token when it starts with one).
DocArg FromAlternative(const std::vector<Node>& items) {
  if (items.size() == 1) return FromItem(items[0]);
  if (items[0].IsToken() && !items[1].IsToken()) {
    std::vector<Node> rest(items.begin() + 1, items.end());
    if (rest.size() == 1) {
      DocArg value = FromItem(rest[0]);
      // A repeated value after a single token ("ID id [id ...]") is a block with that token.
      if ((value.flags & kDocMultiple) == 0 && value.token.empty()) {
        value.token = items[0].word;
        return value;
      }
    }
    return Block(FromSeq(rest), items[0].word);
  }
  return Block(FromSeq(items), "");
}

DocArg FromGroup(const Node& g) {
  DocArg a;
  if (g.alts.size() == 1) {
    a = FromAlternative(g.alts[0]);
  } else {
    a.type = DocArgType::kOneOf;
    for (const auto& alt : g.alts) a.children.push_back(FromAlternative(alt));
    a.name = JoinNames(a.children);
  }
  if (!g.label.empty()) a.name = g.label;
  if (g.optional) a.flags |= kDocOptional;
  if (g.repeats) {
    a.flags |= kDocMultiple;
    if (!a.token.empty()) a.flags |= kDocMultipleToken;
  }
  return a;
}

void NumberKeys(std::vector<DocArg>& args, int* next) {
  for (DocArg& a : args) {
    if (a.type == DocArgType::kKey) a.key_spec_index = (*next)++;
    NumberKeys(a.children, next);
  }
}

void WriteArg(resp::Writer& w, const DocArg& a) {
  std::vector<std::string_view> flags;
  if (a.flags & kDocOptional) flags.push_back("optional");
  if (a.flags & kDocMultiple) flags.push_back("multiple");
  if (a.flags & kDocMultipleToken) flags.push_back("multiple_token");
  const int64_t fields =
      2 + (a.key_spec_index >= 0) + !a.token.empty() + !flags.empty() + !a.children.empty();
  w.MapHeader(fields);
  w.Bulk("name");
  w.Bulk(a.name);
  w.Bulk("type");
  w.Bulk(DocArgTypeName(a.type));
  if (a.key_spec_index >= 0) {
    w.Bulk("key_spec_index");
    w.Integer(a.key_spec_index);
  }
  if (!a.token.empty()) {
    w.Bulk("token");
    w.Bulk(a.token);
  }
  if (!flags.empty()) {
    w.Bulk("flags");
    w.SetHeader(static_cast<int64_t>(flags.size()));
    for (auto f : flags) w.SimpleString(f);
  }
  if (!a.children.empty()) {
    w.Bulk("arguments");
    WriteDocArguments(w, a.children);
  }
}

}  // namespace

DocSyntax ParseDocSyntax(std::string_view syntax) {
  DocSyntax out;
  Parser parser(syntax);
  std::vector<Node> items;
  if (!parser.Parse(&items)) {
    out.error = parser.error();
    return out;
  }
  out.args = FromSeq(items);
  int next_key = 0;
  NumberKeys(out.args, &next_key);
  out.ok = true;
  return out;
}

std::string_view DocArgTypeName(DocArgType type) {
  for (const auto& [n, t] : kTypeNames) {
    if (t == type) return n;
  }
  return "string";
}

void WriteDocArguments(resp::Writer& w, const std::vector<DocArg>& args) {
  w.ArrayHeader(static_cast<int64_t>(args.size()));
  for (const DocArg& a : args) WriteArg(w, a);
}

}  // namespace ringside::proxy
