#include "dataplane/proto/ppp.h"

namespace softwire::proto {

std::string_view to_string(PppStatus status) {
  switch (status) {
    case PppStatus::kOk:
      return "ok";
    case PppStatus::kTruncated:
      return "truncated";
    case PppStatus::kBadAddressControl:
      return "bad_address_control";
    case PppStatus::kBadProtocol:
      return "bad_protocol";
  }
  return "unknown";
}

}  // namespace softwire::proto
