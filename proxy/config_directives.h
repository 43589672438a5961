// The directive table behind ServerConfig, and the typed parsing and formatting every
// directive shares. Internal to the config module: config.cc builds ServerConfig's defaults,
// the file and command-line loaders, CONFIG GET / SET and --help on these.
//
// The table is immutable and static; a Directive is a view into it, valid for the process's
// lifetime. The functions keep no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/config.h"

namespace ringside::proxy::config_internal {

enum class Kind { kBool, kInt, kMemory, kString, kEnum };

using Field =
    std::variant<bool ServerConfig::*, int ServerConfig::*, int64_t ServerConfig::*,
                 std::string ServerConfig::*, std::vector<std::string> ServerConfig::*,
                 LogLevel ServerConfig::*, IoBackend ServerConfig::*, AppendFsync ServerConfig::*,
                 UpstreamWritePolicy ServerConfig::*, shards::EvictionPolicy ServerConfig::*,
                 AclPubsubDefault ServerConfig::*, AuthMode ServerConfig::*,
                 TlsAuthClients ServerConfig::*>;

// A rule beyond the directive's type, applied to the value as CONFIG GET would show it.
using Check = bool (*)(std::string_view value, std::string* why);

struct Directive {
  std::string_view name;
  Kind kind;
  Field field;
  std::string_view default_text;  // config-file syntax, so "" is written with its quotes
  bool mutable_at_runtime;
  std::string_view meaning;
  int64_t min = 0;  // kInt and kMemory bounds, inclusive
  int64_t max = 0;
  std::span<const std::string_view> words = {};  // kEnum: allowed values, in enum order
  bool variadic = false;                         // takes one or more arguments
  std::string_view auto_word = {};               // kInt: a word that stands for 0
  int64_t clamp_lo = 0;  // kInt: accepted values are then clamped into [clamp_lo, clamp_hi]
  int64_t clamp_hi = 0;  // when clamp_hi > 0
  Check check = nullptr;
  bool secret = false;  // CONFIG GET shows whether it is set, never the value

  // Modifiers, so each row of the table stays a line or two.
  constexpr Directive Variadic() const {
    Directive d = *this;
    d.variadic = true;
    return d;
  }
  constexpr Directive Checked(Check c) const {
    Directive d = *this;
    d.check = c;
    return d;
  }
  constexpr Directive AutoWord(std::string_view word) const {
    Directive d = *this;
    d.auto_word = word;
    return d;
  }
  constexpr Directive Secret() const {
    Directive d = *this;
    d.secret = true;
    return d;
  }
  constexpr Directive Clamped(int64_t lo, int64_t hi) const {
    Directive d = *this;
    d.clamp_lo = lo;
    d.clamp_hi = hi;
    return d;
  }
};

// Every directive, in table order (the order --help, CONFIG GET * and ringside.conf list them).
std::span<const Directive> Directives();

// The directive named `name`, compared without case, or nullptr.
const Directive* FindDirective(std::string_view name);

bool EqualsNoCase(std::string_view a, std::string_view b);

// d's value in *cfg as CONFIG GET shows it.
std::string FormatValue(const Directive& d, const ServerConfig& cfg);

// Parses `args` (the words after the directive's name) into d's field of *cfg. On failure
// returns false with the reason in Redis's words; *cfg may then be partly changed, so callers
// work on a copy.
bool ApplyArgs(const Directive& d, const std::vector<std::string>& args, ServerConfig* cfg,
               std::string* why);

}  // namespace ringside::proxy::config_internal
