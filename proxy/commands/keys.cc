#include "proxy/command.h"

namespace ringside::proxy {

void RegisterKeyCommands(CommandTable& table) {}

}  // namespace ringside::proxy
