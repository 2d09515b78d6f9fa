#include "common/hex_text.h"

#include <cstdio>

namespace softwire {

std::string hex32(uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace softwire
