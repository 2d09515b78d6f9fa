// Hexadecimal text shared by softwire-cp's messages and metric labels.
#pragma once

#include <cstdint>
#include <string>

namespace softwire {

// "0x" and eight hexadecimal digits, e.g. SPIs: "0x00001001".
std::string hex32(uint32_t value);

}  // namespace softwire
