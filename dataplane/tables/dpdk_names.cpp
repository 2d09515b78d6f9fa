#include "dataplane/tables/dpdk_names.h"

#include <stdexcept>

namespace softwire::tables {

std::string checked_name(std::string_view name_prefix, size_t max_prefix, std::string_view suffix) {
  if (name_prefix.empty() || name_prefix.size() > max_prefix) {
    throw std::invalid_argument("table name prefix must have 1.." + std::to_string(max_prefix) +
                                " characters: '" + std::string(name_prefix) + "'");
  }
  return std::string(name_prefix) + std::string(suffix);
}

void throw_dpdk_error(int error, std::string_view what, std::string_view name) {
  throw std::system_error(error == 0 ? EINVAL : error, std::generic_category(),
                          std::string(what) + " " + std::string(name));
}

}  // namespace softwire::tables
