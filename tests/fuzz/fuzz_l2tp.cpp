// Fuzzes the L2TPv2 parser: the header and payload tile the input, control
// messages obey RFC 2661's flag rules, and re-building the header from the
// parsed fields gives back the input's header bytes (reserved bits aside).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/proto/l2tp.h"
#include "fuzz_support.h"

using namespace softwire::proto;
using softwire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes input(data, size);
  L2tpHeader h;
  if (parse_l2tp(input, h) != L2tpStatus::kOk) return 0;
  check(h.header_length >= kL2tpMinHeaderSize && h.header_length <= size);
  check(h.payload.data() == data + h.header_length);
  check(h.header_length + h.payload.size() == size);
  check(!h.has_length || h.length == size);
  check(!h.is_control || (h.has_length && h.has_sequence && !h.has_offset && !h.priority));

  const L2tpFields fields{.is_control = h.is_control,
                          .with_length = h.has_length,
                          .with_sequence = h.has_sequence,
                          .with_offset = h.has_offset,
                          .priority = h.priority,
                          .tunnel_id = h.tunnel_id,
                          .session_id = h.session_id,
                          .ns = h.ns,
                          .nr = h.nr,
                          .offset_size = h.offset_size,
                          .payload_size = h.payload.size()};
  check(l2tp_header_length(fields) == h.header_length);
  std::vector<uint8_t> rebuilt(input.begin(), input.end());
  check(build_l2tp(rebuilt, fields) == h.header_length);
  // The builder clears reserved bits and zeroes the offset padding.
  const size_t fixed_size = h.header_length - h.offset_size;
  check(load_be16(rebuilt.data()) == (load_be16(data) & ~kL2tpReservedMask));
  check(std::memcmp(rebuilt.data() + 2, data + 2, fixed_size - 2) == 0);
  for (size_t i = fixed_size; i < h.header_length; ++i) check(rebuilt[i] == 0);

  L2tpHeader again;
  check(parse_l2tp(rebuilt, again) == L2tpStatus::kOk);
  check(again.tunnel_id == h.tunnel_id && again.session_id == h.session_id);
  check(again.ns == h.ns && again.nr == h.nr && again.length == h.length);
  check(again.header_length == h.header_length && again.payload.size() == h.payload.size());
  check(std::memcmp(again.payload.data(), h.payload.data(), h.payload.size()) == 0);
  return 0;
}
