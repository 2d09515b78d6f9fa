// The softwire configuration that matches the frames of FrameBuilder: ports,
// SA pairs and sessions from the same plan (plan.h).
#pragma once

#include <string>

#include "plan.h"

namespace softwire::trafgen {

// Writes the configuration to `path`. `pcap_path` is the absolute path of the
// generated pcap; `command` goes into the header comment. Throws
// std::runtime_error on I/O errors or when the mempool cannot hold the pcap.
void write_config(const Options& options, const std::string& path, const std::string& pcap_path,
                  const std::string& command);

}  // namespace softwire::trafgen
