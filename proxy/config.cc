#include "proxy/config.h"

#include <sched.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "proxy/config_args.h"
#include "proxy/config_directives.h"
#include "shards/store.h"

#ifndef RINGSIDE_VERSION
#define RINGSIDE_VERSION "unknown"
#endif

namespace ringside::proxy {

namespace {

using config_internal::ApplyArgs;
using config_internal::Directive;
using config_internal::Directives;
using config_internal::EqualsNoCase;
using config_internal::FindDirective;
using config_internal::FormatValue;
using config_internal::QuoteArg;
using config_internal::SplitArgs;

// Applies one directive line (name first). Returns false with the reason.
// `user name rules...` lines add up, one user each; the ACL module checks their rules when the
// server starts.
bool ApplyDirective(const std::vector<std::string>& words, ServerConfig* cfg, std::string* why) {
  if (EqualsNoCase(words[0], "user")) {
    if (words.size() < 2) {
      *why = "wrong number of arguments";
      return false;
    }
    cfg->users.emplace_back(words.begin() + 1, words.end());
    return true;
  }
  const Directive* d = FindDirective(words[0]);
  if (d == nullptr) {
    *why = "Bad directive or wrong number of arguments";
    return false;
  }
  return ApplyArgs(*d, std::vector<std::string>(words.begin() + 1, words.end()), cfg, why);
}

std::string FatalReport(std::string_view where, std::string_view line, std::string_view why) {
  std::string out = "\n*** FATAL CONFIG FILE ERROR (ringside) ***\n";
  out.append(where).append("\n>>> '").append(line).append("'\n").append(why).append("\n");
  return out;
}

std::string HelpText() {
  std::string out =
      "Usage: ringside [/path/to/ringside.conf] [--directive value ...]\n"
      "       ringside --version | -v\n"
      "       ringside --help | -h\n\n"
      "Command-line directives are applied after the file, in order.\n"
      "Examples:\n"
      "       ringside conf/ringside.conf\n"
      "       ringside --port 7777 --threads 2\n"
      "       ringside /etc/ringside/ringside.conf --loglevel verbose\n\n"
      "Directives [default] (* = settable at runtime with CONFIG SET):\n";
  for (const Directive& d : Directives()) {
    out += "  " + std::string(d.name) + " [" + std::string(d.default_text) + "]" +
           (d.mutable_at_runtime ? " *" : "") + "\n      " + std::string(d.meaning) + "\n";
  }
  return out;
}

int CountAffinityCpus() {
  for (int ncpus = 1024; ncpus <= (1 << 20); ncpus *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpus);
    if (set == nullptr) break;
    const size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, set);
    const int rc = sched_getaffinity(0, size, set);
    const int count = rc == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    if (rc == 0) return count;
    if (errno != EINVAL) break;  // EINVAL: the kernel's mask is larger than ours
  }
  return 0;
}

}  // namespace

ServerConfig::ServerConfig() {
  for (const Directive& d : Directives()) {
    std::string why;
    const auto args = SplitArgs(d.default_text);
    if (!args || !ApplyArgs(d, *args, this, &why)) {
      std::fprintf(stderr, "ringside: bad built-in default for '%.*s': %s\n",
                   static_cast<int>(d.name.size()), d.name.data(), why.c_str());
      std::abort();
    }
  }
}

bool LoadConfigText(std::string_view text, std::string_view source_name, ServerConfig* cfg,
                    std::string* error) {
  ServerConfig next = *cfg;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const size_t first = line.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r\n") - first + 1);
    if (line[0] == '#') continue;

    std::string why;
    const auto words = SplitArgs(line);
    if (!words) {
      why = "Unbalanced quotes in configuration line";
    } else if (words->empty() || ApplyDirective(*words, &next, &why)) {
      continue;
    }
    std::string where = "Reading the configuration file";
    if (!source_name.empty()) where += " '" + std::string(source_name) + "'";
    where += ", at line " + std::to_string(line_no);
    *error = FatalReport(where, line, why);
    return false;
  }
  *cfg = std::move(next);
  return true;
}

ConfigAction ParseCommandLine(int argc, char** argv, ServerConfig* cfg, std::string* message) {
  std::string config_file;
  int j = 1;
  if (argc > 1 && argv[1][0] != '-') config_file = argv[j++];

  // Each command-line directive: its words (name first) and how the user typed it.
  std::vector<std::pair<std::vector<std::string>, std::string>> options;
  bool wants_value = false;  // the previous argument was a bare --name
  for (; j < argc; ++j) {
    const std::string_view arg = argv[j];
    if (!wants_value && (arg == "--help" || arg == "-h")) {
      *message = HelpText();
      return ConfigAction::kExitOk;
    }
    if (!wants_value && (arg == "--version" || arg == "-v")) {
      *message = "ringside v=" RINGSIDE_VERSION "\n";
      return ConfigAction::kExitOk;
    }
    if (!wants_value && arg.size() > 2 && arg.substr(0, 2) == "--") {
      auto words = SplitArgs(arg.substr(2));
      if (!words || words->empty()) {
        *message =
            FatalReport("Reading the command line", arg, "Unbalanced quotes in configuration line");
        return ConfigAction::kExitError;
      }
      for (auto& c : (*words)[0])
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      wants_value = words->size() == 1;
      // A bare --save, last or followed by another directive, means save "" (as in Redis).
      if (wants_value && (*words)[0] == "save" &&
          (j + 1 == argc || std::string_view(argv[j + 1]).substr(0, 2) == "--")) {
        words->push_back("");
        wants_value = false;
      }
      options.emplace_back(std::move(*words), std::string(arg));
      continue;
    }
    if (options.empty()) {
      *message = "ringside: unexpected argument '" + std::string(arg) +
                 "': give a config file first, then --directive value pairs (see --help)\n";
      return ConfigAction::kExitError;
    }
    options.back().first.emplace_back(arg);
    options.back().second += " " + QuoteArg(arg);
    wants_value = false;
  }

  if (!config_file.empty()) {
    std::ifstream in(config_file, std::ios::binary);
    if (!in) {
      *message = "Fatal error, can't open config file '" + config_file +
                 "': " + std::strerror(errno) + "\n";
      return ConfigAction::kExitError;
    }
    std::stringstream text;
    text << in.rdbuf();
    if (!LoadConfigText(text.str(), config_file, cfg, message)) return ConfigAction::kExitError;
  }
  for (const auto& [words, typed] : options) {
    std::string why;
    if (!ApplyDirective(words, cfg, &why)) {
      *message = FatalReport("Reading the command line", typed, why);
      return ConfigAction::kExitError;
    }
  }
  return ConfigAction::kRun;
}

int ResolveThreads(const ServerConfig& cfg) {
  if (cfg.threads > 0) return cfg.threads;
  if (int n = CountAffinityCpus(); n > 0) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

std::vector<std::pair<std::string, std::string>> ConfigGet(
    const ServerConfig& cfg, std::span<const std::string_view> patterns) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::span<const Directive> all = Directives();
  std::vector<bool> seen(all.size());
  for (std::string_view pattern : patterns) {
    const bool exact = pattern.find_first_of("*?[") == std::string_view::npos;
    for (size_t i = 0; i < all.size(); ++i) {
      const Directive& d = all[i];
      if (seen[i]) continue;
      if (exact ? EqualsNoCase(pattern, d.name)
                : shards::GlobMatch(pattern, d.name, /*nocase=*/true)) {
        seen[i] = true;
        out.emplace_back(exact ? std::string(pattern) : std::string(d.name), FormatValue(d, cfg));
      }
    }
  }
  return out;
}

bool ConfigSet(ServerConfig* cfg, std::span<const std::string_view> name_value_pairs,
               std::string* error) {
  if (name_value_pairs.empty()) {
    *error = "ERR wrong number of arguments for 'config|set' command";
    return false;
  }
  if (name_value_pairs.size() % 2 != 0) {
    *error = "ERR syntax error";
    return false;
  }
  auto failed = [&](std::string_view name, std::string_view why) {
    *error = "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
             std::string(why);
    return false;
  };
  // Names are all checked before any value, as Redis does.
  std::vector<const Directive*> targets;
  for (size_t i = 0; i < name_value_pairs.size(); i += 2) {
    const std::string_view name = name_value_pairs[i];
    const Directive* d = FindDirective(name);
    if (d == nullptr) {
      *error =
          "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'";
      return false;
    }
    if (!d->mutable_at_runtime) return failed(name, "can't set immutable config");
    if (std::find(targets.begin(), targets.end(), d) != targets.end()) {
      return failed(name, "duplicate parameter");
    }
    targets.push_back(d);
  }
  ServerConfig next = *cfg;
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string why;
    if (!ApplyArgs(*targets[i], {std::string(name_value_pairs[2 * i + 1])}, &next, &why)) {
      return failed(name_value_pairs[2 * i], why);
    }
  }
  *cfg = std::move(next);
  return true;
}

std::vector<DirectiveInfo> AllDirectives() {
  std::vector<DirectiveInfo> out;
  for (const Directive& d : Directives()) {
    out.push_back({d.name, d.default_text, d.meaning, d.mutable_at_runtime});
  }
  return out;
}

bool FormatDirective(const ServerConfig& cfg, std::string_view name, std::string* value) {
  const Directive* d = FindDirective(name);
  if (d == nullptr) return false;
  *value = FormatValue(*d, cfg);
  return true;
}

}  // namespace ringside::proxy
