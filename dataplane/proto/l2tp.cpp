#include "dataplane/proto/l2tp.h"

namespace softwire::proto {

std::string_view to_string(L2tpStatus status) {
  switch (status) {
    case L2tpStatus::kOk:
      return "ok";
    case L2tpStatus::kTruncated:
      return "truncated";
    case L2tpStatus::kBadVersion:
      return "bad_version";
    case L2tpStatus::kLengthMismatch:
      return "length_mismatch";
    case L2tpStatus::kBadOffset:
      return "bad_offset";
    case L2tpStatus::kControlWithoutLength:
      return "control_without_length";
    case L2tpStatus::kControlWithoutSequence:
      return "control_without_sequence";
    case L2tpStatus::kControlWithOffset:
      return "control_with_offset";
    case L2tpStatus::kControlWithPriority:
      return "control_with_priority";
  }
  return "unknown";
}

}  // namespace softwire::proto
