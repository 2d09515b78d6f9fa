// Conversions between the configuration models and the control channel's
// records. Both directions live here so that the data plane (which applies
// records) and the control plane (which sends them) share one mapping.
//
// Records from shared memory are untrusted input: to_config() validates every
// field that the configuration loader would have validated for a single SA
// or session (ranges, families, host bits, key length) and says which field
// is wrong. Cross-object rules (an SA's `local` being an access-port address,
// a session's SAs existing) are checked by whoever owns those objects.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "config/model.h"
#include "shm/protocol.h"

namespace softwire::shm {

Address to_shm(const config::IpAddress& address);
Prefix to_shm(const config::IpPrefix& prefix);

// Error texts name the field ("local: ...").
std::variant<config::IpAddress, std::string> to_config(const Address& address);
std::variant<config::IpPrefix, std::string> to_config(const Prefix& prefix);

// Key and salt included: the caller wipes the record after use.
SaRecord to_record(const config::SaConfig& sa);
// Without key material (dumps).
SaRecord to_record_without_key(const config::SaConfig& sa);
std::variant<config::SaConfig, std::string> to_config(const SaRecord& record);

// The first kPrefixesPerRecord prefixes; total_prefixes = all of them.
// sa_in_old_spi = kNone.
SessionRecord to_record(const config::SessionConfig& session);
// Prefixes taken from the record only (prefix_count of them).
std::variant<config::SessionConfig, std::string> to_config(const SessionRecord& record);

// A NUL-terminated copy of `text` into `out` (truncated to size - 1).
void copy_string(char* out, size_t size, const std::string& text);
// The string in a fixed field, or nullopt-like "" + false when not
// NUL-terminated within `size`.
bool read_string(const char* field, size_t size, std::string& out);

}  // namespace softwire::shm
