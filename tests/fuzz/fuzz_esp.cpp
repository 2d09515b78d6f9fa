// Fuzzes the ESP splitter and trailer parser: spans stay inside the input and
// what parses re-builds to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/proto/esp.h"
#include "fuzz_support.h"

using namespace softwire::proto;
using softwire::fuzz::check;

namespace {

bool within(ConstBytes inner, ConstBytes outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

void fuzz_packet(ConstBytes input) {
  EspPacket esp;
  if (parse_esp(input, esp) != EspStatus::kOk) return;
  check(esp.spi >= kEspFirstValidSpi);
  check(esp.header.data() == input.data() && esp.header.size() == kEspHeaderSize);
  check(within(esp.ciphertext, input) && esp.ciphertext.data() == input.data() + kEspHeaderSize);
  check(esp.ciphertext.size() >= kEspAlignment && esp.ciphertext.size() % kEspAlignment == 0);
  check(esp.icv.size() == kEspIcvSize &&
        esp.icv.data() + kEspIcvSize == input.data() + input.size());
  check(esp.header.size() + esp.ciphertext.size() + esp.icv.size() == input.size());

  uint8_t header[kEspHeaderSize];
  check(build_esp_header(header, {.spi = esp.spi, .seq = esp.seq, .iv = esp.iv}) == kEspHeaderSize);
  check(std::memcmp(header, input.data(), kEspHeaderSize) == 0);
}

void fuzz_trailer(ConstBytes input) {
  EspTrailer trailer;
  if (parse_esp_trailer(input, trailer) != EspStatus::kOk) return;
  check(trailer.payload.data() == input.data());
  check(trailer.payload.size() + trailer.pad_length + kEspTrailerFixedSize == input.size());
  check(trailer.next_header == input[input.size() - 1]);
  check(trailer.is_dummy == (trailer.next_header == kEspNextHeaderDummy));

  // Our builder pads minimally; re-build the trailer when the input does too.
  const size_t payload_size = trailer.payload.size();
  if (esp_padded_length(payload_size) != input.size()) return;
  std::vector<uint8_t> rebuilt(input.begin(), input.end());
  MutableBytes tail = MutableBytes(rebuilt).subspan(payload_size);
  check(build_esp_trailer(tail, {.payload_size = payload_size,
                                 .next_header = trailer.next_header}) == tail.size());
  check(std::memcmp(rebuilt.data(), input.data(), input.size()) == 0);
  EspTrailer again;
  check(parse_esp_trailer(rebuilt, again) == EspStatus::kOk);
  check(again.pad_length == trailer.pad_length && again.next_header == trailer.next_header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes input(data, size);
  fuzz_packet(input);
  fuzz_trailer(input);
  return 0;
}
