// COMMAND DOCS argument trees: a command row's `syntax` usage line parsed into the nested
// argument description redis-server 7.0 reports, and the RESP writer for it. Pure functions:
// nothing here touches a connection, a shard or any shared state.
//
// The syntax notation is the usage line Redis's documentation shows, with two small additions
// for what a usage line cannot say:
//
//   key value [NX|XX]        words: lower case = an argument, UPPER case = a literal token
//   [ ... ]  ( ... )         an optional / a required group; `|` separates alternatives (oneof)
//   [EX seconds]             a token followed by one element gives that element the token;
//                            followed by several it makes a block with the token
//   key [key ...]            repetition: the preceding item(s) again, any number of times
//   [section ...]            repetition of the group's own content ([a|b ...]: the oneof)
//   condition=[NX|XX]        names a group (by default its children's names joined with '_')
//   increment:double         states a type (by default inferred from the name: key, newkey ->
//                            key; seconds, count, offset, ... -> integer; unix-time-* ->
//                            unix-time; pattern -> pattern; anything else -> string)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/writer.h"

namespace ringside::proxy {

enum class DocArgType : uint8_t {
  kKey,
  kString,
  kInteger,
  kDouble,
  kPattern,
  kUnixTime,
  kPureToken,
  kOneOf,
  kBlock,
};

enum DocArgFlag : uint8_t {
  kDocOptional = 1u << 0,
  kDocMultiple = 1u << 1,
  kDocMultipleToken = 1u << 2,  // the token is repeated before every value
};

struct DocArg {
  std::string name;
  DocArgType type = DocArgType::kString;
  std::string token;  // empty when the argument has no literal token
  uint8_t flags = 0;
  int key_spec_index = -1;       // for kKey: the key's position among the command's keys
  std::vector<DocArg> children;  // for kOneOf and kBlock
};

struct DocSyntax {
  bool ok = false;
  std::string error;  // what is wrong and where, when !ok
  std::vector<DocArg> args;
};

// Parses a syntax line (see the notation above). An empty line is a command without arguments.
DocSyntax ParseDocSyntax(std::string_view syntax);

// The type's name as COMMAND DOCS spells it ("key", "pure-token", "oneof", ...).
std::string_view DocArgTypeName(DocArgType type);

// Writes `args` as the value of a COMMAND DOCS "arguments" field: an array with one flat
// field/value array per argument (name, type, key_spec_index, token, flags, arguments), flags
// as status strings, the way redis-server 7.0 writes them in RESP2.
void WriteDocArguments(resp::Writer& w, const std::vector<DocArg>& args);

}  // namespace ringside::proxy
