// ACL checks of commands as the dispatcher runs them: which command a call is in the ACL
// catalog's terms (a container's subcommand), which keys it reads or writes and which
// channels it uses, and the NOPERM reply and ACL LOG entry when the user may not run it.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/acl/user.h"
#include "proxy/acl/users.h"
#include "proxy/command.h"

namespace ringside::proxy {

// `row` may be null (a command passed to the upstream without a row of its own).
acl::CommandAccess DescribeAccess(const CommandRow* row, std::span<const std::string_view> args);
// The full lower-case name ACL messages use ("get", "config|get").
std::string AclCommandName(const acl::CommandAccess& access,
                           std::span<const std::string_view> args);

// The user may run the command; otherwise *error is the NOPERM reply, and the denial is in
// ACL LOG with `client_info` as the client's CLIENT LIST line.
bool Permitted(const acl::User& user, const acl::CommandAccess& access,
               std::span<const std::string_view> args, acl::Users& users, size_t log_max_len,
               const std::function<std::string()>& client_info, std::string* error);

}  // namespace ringside::proxy
