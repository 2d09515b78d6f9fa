#include "dataplane/proto/esp.h"

namespace softwire::proto {

std::string_view to_string(EspStatus status) {
  switch (status) {
    case EspStatus::kOk:
      return "ok";
    case EspStatus::kTruncated:
      return "truncated";
    case EspStatus::kZeroSpi:
      return "zero_spi";
    case EspStatus::kReservedSpi:
      return "reserved_spi";
    case EspStatus::kBadAlignment:
      return "bad_alignment";
    case EspStatus::kBadPadLength:
      return "bad_pad_length";
    case EspStatus::kBadPadding:
      return "bad_padding";
  }
  return "unknown";
}

}  // namespace softwire::proto
