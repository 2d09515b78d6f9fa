// The checksum helpers are inline in checksum.h; this unit checks the
// constexpr ones at compile time with the RFC 1071 and RFC 1624 examples.
#include "dataplane/proto/checksum.h"

namespace softwire::proto {
namespace {

// RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2 (carries folded).
static_assert(checksum_fold(0x0001 + 0xf203 + 0xf4f5 + 0xf6f7) == 0xddf2);
static_assert(checksum_add(0xffff, 0x0001) == 0x0001);
// RFC 1624 section 4: HC = 0xdd2f, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000.
static_assert(checksum_update16(0xdd2f, 0x5555, 0x3285) == 0x0000);

}  // namespace
}  // namespace softwire::proto
