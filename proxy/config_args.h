// redis.conf's argument syntax, shared by the config file and the command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::proxy::config_internal {

// Splits a line into arguments the way Redis's sdssplitargs does: "double quotes" with
// \n \r \t \b \a \xHH and \<c> escapes, 'single quotes' with only \' escaped, and a closing
// quote that must be followed by a space or the end. nullopt for unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// How an argument is echoed in an error: quoted when it would not read back as one.
std::string QuoteArg(std::string_view s);

}  // namespace ringside::proxy::config_internal
