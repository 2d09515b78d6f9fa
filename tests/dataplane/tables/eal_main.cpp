// GoogleTest main with a DPDK EAL: no hugepages, no shared config, no PCI,
// two lcores (main + one reader for the concurrency test).
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::vector<const char*> eal_args = {argv[0],
                                       "--no-huge",
                                       "-m",
                                       "2048",
                                       "--no-shconf",
                                       "--file-prefix",
                                       "sw_tables_test",
                                       "--no-pci",
                                       "-l",
                                       "0,1",
                                       "--log-level=lib.eal:error"};
  if (rte_eal_init(int(eal_args.size()), const_cast<char**>(eal_args.data())) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  const int result = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return result;
}
