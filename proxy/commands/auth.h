// Logging a client in as a user, for AUTH and HELLO ... AUTH (commands/acl.cc).
#pragma once

#include <string>
#include <string_view>

#include "proxy/command.h"

namespace ringside::proxy {

// Makes the connection act as `user` when `password` is its; otherwise *error is WRONGPASS and
// ACL LOG has the failed attempt (args[0] as the client typed it).
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password,
                  std::string* error);

}  // namespace ringside::proxy
