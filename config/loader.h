// Loads and validates a libconfig file into the immutable models of model.h.
// Either everything is valid and a Config is returned, or a ConfigError says
// where (file, line, setting path) and what is wrong.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/model.h"

namespace softwire::config {

class ConfigError : public std::runtime_error {
 public:
  // line 0 means the file as a whole (unreadable file, missing top-level
  // setting); path is empty for syntax errors.
  ConfigError(std::string file, int line, std::string path, std::string message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& path() const { return path_; }  // like "sas.[1].key"
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string path_;
  std::string message_;
};

// Reads and validates `path`. Throws ConfigError.
Config load_config_file(const std::string& path);

// Same for text already in memory; `name` stands for the file in errors and
// in Config::source_file.
Config load_config_text(std::string_view text, const std::string& name);

}  // namespace softwire::config
