// Lets GoogleTest print TableStatus by name in failure messages.
#pragma once

#include <ostream>

#include "dataplane/tables/status.h"

namespace softwire::tables {
inline void PrintTo(TableStatus status, std::ostream* os) {
  *os << to_string(status);
}
}  // namespace softwire::tables
