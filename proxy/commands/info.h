// INFO and COMMAND: what the server reports about itself.
#pragma once

#include <string_view>

#include "proxy/command.h"

namespace ringside::proxy {

// The Redis version whose behaviour ringside reproduces, reported where clients look for
// `redis_version` (INFO, HELLO).
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";

void RegisterIntrospectionCommands(CommandTable& table);

}  // namespace ringside::proxy
