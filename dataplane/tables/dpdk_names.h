// Helpers for the DPDK objects the tables create: names (which DPDK requires
// to be unique per process and silently truncates) and constructor errors.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

namespace softwire::tables {

// name_prefix + suffix, or std::invalid_argument if the prefix is empty or
// too long: DPDK derives ring/memzone names from these (for instance
// "RCU_HASH_RCU_<hash name>") and truncation would make two instances clash.
std::string checked_name(std::string_view name_prefix, size_t max_prefix, std::string_view suffix);

// Throws std::system_error(error, "<what> <name>: <strerror>").
[[noreturn]] void throw_dpdk_error(int error, std::string_view what, std::string_view name);

}  // namespace softwire::tables
