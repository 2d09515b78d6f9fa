#include "dataplane/tables/spi_table.h"

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {

SpiTable::SpiTable(std::string_view name_prefix, uint32_t max_sas, Rcu& rcu, int socket_id)
    : hash_(checked_name(name_prefix, kMaxNamePrefix, "_spi"), max_sas, rcu, socket_id) {}

}  // namespace softwire::tables
