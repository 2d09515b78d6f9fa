#include "dataplane/proto/natt.h"

namespace softwire::proto {

std::string_view to_string(NattStatus status) {
  switch (status) {
    case NattStatus::kOk:
      return "ok";
    case NattStatus::kTruncated:
      return "truncated";
    case NattStatus::kBadKeepalive:
      return "bad_keepalive";
    case NattStatus::kTruncatedIke:
      return "truncated_ike";
  }
  return "unknown";
}

std::string_view to_string(NattKind kind) {
  switch (kind) {
    case NattKind::kEsp:
      return "esp";
    case NattKind::kIke:
      return "ike";
    case NattKind::kKeepalive:
      return "keepalive";
  }
  return "unknown";
}

}  // namespace softwire::proto
