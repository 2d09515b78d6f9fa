// Parses JSON lines with Python's json module (an independent parser), for
// tests of what softwire-cp writes. Each line must be one JSON object, in
// strict UTF-8, without duplicate keys, ending in "\n".
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#ifndef SOFTWIRE_TOOL_PYTHON
#error "SOFTWIRE_TOOL_PYTHON: the python3 with scapy (meson option tool_python)"
#endif

namespace softwire::testing {

struct JsonValue {
  char type = 0;     // 's' string, 'n' integer, 'o' object (text: canonical JSON, sorted keys)
  std::string text;  // decoded string, decimal integer or canonical object
};
using JsonObject = std::map<std::string, JsonValue>;

// Python prints each object as "hex(key):TYPE VALUE" fields separated by
// spaces; strings travel as the hex of their UTF-8 bytes.
inline constexpr const char* kJsonLinesChecker = R"PY(
import json, sys
def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)
data = open(sys.argv[1], "rb").read().decode("utf-8")  # strict: fails on invalid UTF-8
if data and not data.endswith("\n"):
    raise SystemExit("last line does not end in a newline")
for line in data.splitlines():
    obj = json.loads(line, object_pairs_hook=no_duplicates)
    if not isinstance(obj, dict):
        raise SystemExit("not an object: " + line)
    fields = []
    for key, value in obj.items():
        if isinstance(value, str):
            encoded = "s" + value.encode("utf-8").hex()
        elif isinstance(value, bool) or not isinstance(value, (int, dict)):
            raise SystemExit("unexpected type of %s: %r" % (key, value))
        elif isinstance(value, int):
            encoded = "n" + str(value)
        else:
            encoded = "o" + json.dumps(value, sort_keys=True, separators=(",", ":"))
        fields.append(key.encode("utf-8").hex() + ":" + encoded)
    print(" ".join(fields))
)PY";

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// Fails the test (and returns what parsed so far) when Python rejects the text.
inline std::vector<JsonObject> parse_json_lines(const std::string& text) {
  char path[] = "/tmp/softwire-json-lines-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  if (fd < 0) return {};
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  // The checker program goes through a file too: no shell quoting of Python.
  char script_path[] = "/tmp/softwire-json-check-XXXXXX";
  const int script_fd = mkstemp(script_path);
  EXPECT_GE(script_fd, 0);
  const std::string script = kJsonLinesChecker;
  EXPECT_EQ(write(script_fd, script.data(), script.size()), static_cast<ssize_t>(script.size()));
  close(script_fd);

  const std::string command =
      std::string(SOFTWIRE_TOOL_PYTHON) + " " + script_path + " " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n;
  while (pipe && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pipe ? pclose(pipe) : -1;
  unlink(path);
  unlink(script_path);
  EXPECT_EQ(status, 0) << "python rejected the JSON lines:\n" << output << "\ninput:\n" << text;
  if (status != 0) return {};

  std::vector<JsonObject> objects;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    JsonObject object;
    size_t at = 0;
    while (at < line.size()) {
      size_t space = line.find(' ', at);
      if (space == std::string::npos) space = line.size();
      const std::string field = line.substr(at, space - at);
      at = space + 1;
      const size_t colon = field.find(':');
      const char type = field[colon + 1];
      const std::string value = field.substr(colon + 2);
      object[from_hex(field.substr(0, colon))] = {type, type == 's' ? from_hex(value) : value};
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

}  // namespace softwire::testing
