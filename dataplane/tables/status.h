// Result of a writer-side table operation. Readers never see a status: a
// lookup miss is a sentinel value in the output array.
#pragma once

#include <string_view>

namespace softwire::tables {

enum class TableStatus {
  kOk,
  kExists,    // the key or prefix is already present (duplicates are an error)
  kNotFound,  // remove/replace of an absent key or prefix
  kFull,      // configured capacity reached (or the library ran out of internal groups)
  kInvalid,   // malformed argument: prefix length, index out of range, ...
};

constexpr std::string_view to_string(TableStatus status) {
  switch (status) {
    case TableStatus::kOk:
      return "ok";
    case TableStatus::kExists:
      return "exists";
    case TableStatus::kNotFound:
      return "not_found";
    case TableStatus::kFull:
      return "full";
    case TableStatus::kInvalid:
      return "invalid";
  }
  return "unknown";
}

}  // namespace softwire::tables
