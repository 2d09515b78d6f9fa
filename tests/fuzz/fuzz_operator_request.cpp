// Fuzzes cp::parse_operator_request, the operator socket's request parser:
// when a request parses, its id, json flag and args written back as JSON
// (strings through cp::json_quote) parse again to the same request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/json.h"
#include "fuzz_support.h"

using softwire::cp::OperatorRequest;
using softwire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto request = softwire::cp::parse_operator_request(text, &error);
  if (!request) {
    check(!error.empty());
    return 0;
  }
  std::string encoded = "{\"id\":" + std::to_string(request->id) +
                        ",\"json\":" + (request->json ? "true" : "false") + ",\"args\":[";
  for (size_t i = 0; i < request->args.size(); ++i) {
    if (i != 0) encoded += ',';
    encoded += softwire::cp::json_quote(request->args[i]);
  }
  encoded += "]}";
  std::string again_error;
  const auto again = softwire::cp::parse_operator_request(encoded, &again_error);
  check(again.has_value());
  check(again->id == request->id);
  check(again->json == request->json);
  check(again->args == request->args);
  return 0;
}
