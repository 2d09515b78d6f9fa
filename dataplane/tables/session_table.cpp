#include "dataplane/tables/session_table.h"

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {

SessionTable::SessionTable(std::string_view name_prefix, uint32_t max_sessions, Rcu& rcu,
                           int socket_id)
    : hash_(checked_name(name_prefix, kMaxNamePrefix, "_ses"), max_sessions, rcu, socket_id) {}

}  // namespace softwire::tables
