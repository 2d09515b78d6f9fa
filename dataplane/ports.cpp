#include "dataplane/ports.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <regex>
#include <stdexcept>

namespace softwire::dp {

bool is_pci_address(const std::string& device) {
  static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7](,.*)?$)");
  return std::regex_match(device, pci);
}

std::vector<std::string> eal_arguments(const config::Config& cfg, const std::string& program,
                                       const std::vector<std::string>& override_args) {
  std::vector<std::string> args{program};
  const auto& base = override_args.empty() ? cfg.dataplane.eal : override_args;
  args.insert(args.end(), base.begin(), base.end());
  for (const auto& port : cfg.ports) {
    args.push_back(is_pci_address(port.device) ? "-a" : "--vdev");
    args.push_back(port.device);
  }
  return args;
}

namespace {

// The ethdev name a device string creates: the vdev name before the first
// comma, or the PCI address in its full domain form.
std::string device_name(const std::string& device) {
  std::string name = device.substr(0, device.find(','));
  if (is_pci_address(device) && std::count(name.begin(), name.end(), ':') == 1) name = "0000:" + name;
  return name;
}

[[noreturn]] void fail(const config::PortConfig& port, const std::string& what) {
  throw std::runtime_error("port " + port.name + " (" + port.device + "): " + what);
}

}  // namespace

std::vector<PortHandle> open_ports(const config::Config& cfg, rte_mempool* pool, unsigned workers) {
  std::vector<PortHandle> handles;
  const auto queues = static_cast<uint16_t>(workers);
  for (const auto& port : cfg.ports) {
    PortHandle h;
    h.name = port.name;
    h.queues = queues;
    if (rte_eth_dev_get_port_by_name(device_name(port.device).c_str(), &h.port_id) != 0)
      fail(port, "no such DPDK device (probe failed?)");

    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(h.port_id, &info); rc != 0)
      fail(port, "cannot read device info: " + std::string(rte_strerror(-rc)));
    if (info.max_rx_queues < queues || info.max_tx_queues < queues)
      fail(port, "offers " + std::to_string(info.max_rx_queues) + " RX / " +
                     std::to_string(info.max_tx_queues) + " TX queues but " +
                     std::to_string(workers) +
                     " workers need one each (net_pcap: give rx_pcap/tx_pcap once per worker)");

    rte_eth_conf conf{};
    const uint64_t rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    if (queues > 1 && rss_hf != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
      h.rss = true;
    }
    if (int rc = rte_eth_dev_configure(h.port_id, queues, queues, &conf); rc != 0)
      fail(port, "configure: " + std::string(rte_strerror(-rc)));
    uint16_t rx_desc = 1024, tx_desc = 1024;
    rte_eth_dev_adjust_nb_rx_tx_desc(h.port_id, &rx_desc, &tx_desc);
    const int socket = rte_eth_dev_socket_id(h.port_id);
    const unsigned socket_id = socket < 0 ? 0 : static_cast<unsigned>(socket);
    for (uint16_t q = 0; q < queues; ++q) {
      if (int rc = rte_eth_rx_queue_setup(h.port_id, q, rx_desc, socket_id, nullptr, pool); rc != 0)
        fail(port, "RX queue setup: " + std::string(rte_strerror(-rc)));
      if (int rc = rte_eth_tx_queue_setup(h.port_id, q, tx_desc, socket_id, nullptr); rc != 0)
        fail(port, "TX queue setup: " + std::string(rte_strerror(-rc)));
    }
    // The SC's MAC comes from the configuration; PMDs that cannot change
    // theirs (pcap, null) still work because frames carry the configured one.
    rte_ether_addr mac;
    std::copy(port.mac.bytes.begin(), port.mac.bytes.end(), mac.addr_bytes);
    rte_eth_dev_default_mac_addr_set(h.port_id, &mac);
    if (int rc = rte_eth_dev_start(h.port_id); rc != 0)
      fail(port, "start: " + std::string(rte_strerror(-rc)));
    handles.push_back(h);
  }
  return handles;
}

void close_ports(const std::vector<PortHandle>& ports) {
  for (const auto& h : ports) {
    rte_eth_dev_stop(h.port_id);
    rte_eth_dev_close(h.port_id);
  }
}

}  // namespace softwire::dp
