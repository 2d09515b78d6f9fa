// EAL arguments and port bring-up from the configuration. Runs on the main
// lcore before any worker starts.
#pragma once

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/model.h"

namespace softwire::dp {

// EAL argv: program name, then `override_args` if given (the arguments after
// `--`) or the configuration's dataplane.eal, then one --vdev or -a per port
// device so that operators name devices in one place only.
std::vector<std::string> eal_arguments(const config::Config& cfg, const std::string& program,
                                       const std::vector<std::string>& override_args);

// True for a PCI address ("0000:01:00.0" or "01:00.0"); anything else is a vdev spec.
bool is_pci_address(const std::string& device);

struct PortHandle {
  uint16_t port_id = 0;
  std::string name;          // the configuration's port name
  uint16_t queues = 0;       // RX and TX queues: one per worker
  bool rss = false;          // RSS spreads RX across the workers' queues
};

// Configures every port with one RX and one TX queue per worker, starts it,
// and returns them in configuration order. Throws std::runtime_error naming
// the port and what the PMD lacks.
std::vector<PortHandle> open_ports(const config::Config& cfg, rte_mempool* pool, unsigned workers);

// Stops and closes the ports; the PMDs return their queued mbufs to the pool.
void close_ports(const std::vector<PortHandle>& ports);

// Size of an mbuf's data room: headroom for the encapsulation the SC prepends
// downstream, plus the largest frame accepted.
inline constexpr uint16_t kMaxFrameBytes = 2048;
inline constexpr uint16_t kMbufDataRoom = RTE_PKTMBUF_HEADROOM + kMaxFrameBytes;

}  // namespace softwire::dp
