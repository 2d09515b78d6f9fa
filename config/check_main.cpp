// softwire-check-config: validates a configuration file without starting
// anything. Prints a summary, never key material.
#include <cstdio>
#include <cstring>
#include <string>

#include "config/loader.h"

namespace {

void print_usage(FILE* stream, const char* program) {
  std::fprintf(stream, "usage: %s -c FILE\n  Validates a softwire configuration file.\n", program);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if ((argument == "-c" || argument == "--config") && i + 1 < argc) {
      path = argv[++i];
    } else if (argument == "-h" || argument == "--help") {
      print_usage(stdout, argv[0]);
      return 0;
    } else {
      print_usage(stderr, argv[0]);
      return 2;
    }
  }
  if (path.empty()) {
    print_usage(stderr, argv[0]);
    return 2;
  }

  try {
    const softwire::config::Config config = softwire::config::load_config_file(path);
    std::printf("%s: OK (%zu ports, %zu SAs, %zu sessions)\n", path.c_str(), config.ports.size(),
                config.sas.size(), config.sessions.size());
    return 0;
  } catch (const softwire::config::ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    // Out of memory and the like: still a failure to validate.
    std::fprintf(stderr, "%s: %s\n", path.c_str(), error.what());
    return 1;
  }
}
