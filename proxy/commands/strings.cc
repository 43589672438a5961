#include "proxy/command.h"

namespace ringside::proxy {

void RegisterStringCommands(CommandTable& table) {}

}  // namespace ringside::proxy
