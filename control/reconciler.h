// The data plane's tables as the control plane sees them (TableImage), the
// commands that change them (Command), and the reconciler: a pure function
// from (desired image, actual image) to the ordered list of commands that
// turns the actual tables into the desired ones. It serves three cases:
// cp start against a running dp (actual = the dp's dump), a dp restart
// (actual = empty: a full replay), and SIGHUP (actual = the previous desired
// state: only the difference is sent).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/model.h"
#include "shm/protocol.h"

namespace softwire::cp {

struct SaId {
  uint32_t spi = 0;
  shm::Direction direction = shm::Direction::kIn;
  friend auto operator<=>(const SaId&, const SaId&) = default;
};
SaId sa_id_of(const config::SaConfig& sa);
std::string to_string(SaId id);  // "in 0x00000100"

inline uint32_t key_of(shm::SessionKey k) {
  return uint32_t{k.tunnel_id} << 16 | k.session_id;
}

// Total order on prefixes (family, address, length) for sets and diffs.
struct PrefixLess {
  bool operator()(const config::IpPrefix& a, const config::IpPrefix& b) const;
};

// One command for the data plane. request_id and generation are filled in by
// DataplaneLink when it is pushed. An SA add carries key material: the
// command wipes it when destroyed.
struct Command {
  shm::Message message{};

  Command() = default;
  Command(const Command& other) : message(other.message) {}
  Command& operator=(const Command& other);
  ~Command();

  shm::MessageType type() const { return message.type; }

  static Command sa_add(const shm::SaRecord& record);  // record with key and origin
  static Command sa_delete(SaId id);
  static Command session_add(const shm::SessionRecord& record);  // first kPrefixesPerRecord
  static Command session_modify(const shm::SessionRecord& record);
  static Command session_delete(shm::SessionKey key);
  static Command bind(shm::SessionKey key, bool unbind, const config::IpPrefix* prefixes,
                      size_t count);  // count <= kPrefixesPerRecord
  static Command dump();
  static Command capture(const shm::CaptureRequest& request);
};

// A session as the data plane holds it: its record (sa_in_old included;
// prefix_count/prefixes of the record are not used) and all its prefixes,
// sorted with PrefixLess.
struct SessionImage {
  shm::SessionRecord record{};
  std::vector<config::IpPrefix> prefixes;

  shm::SessionKey key() const { return {record.tunnel_id, record.session_id}; }
};

// The tables. SA records carry key material (desired state; dumps of a data
// plane that returns keys); keys are compared when both sides have one
// (key_length != 0). The destructor wipes the keys.
struct TableImage {
  std::map<SaId, shm::SaRecord> sas;
  std::map<std::string, SessionImage> sessions;  // by identity
  // Extra sessions of the dump whose identity was already taken by another
  // dumped session: stale by definition.
  std::vector<shm::SessionKey> duplicate_sessions;

  TableImage() = default;
  TableImage(TableImage&&) = default;
  TableImage& operator=(TableImage&&) = default;
  TableImage(const TableImage&) = delete;
  TableImage& operator=(const TableImage&) = delete;
  ~TableImage();
};

// Builds a TableImage from a dump: feed every kDumpSa, kDumpSession and
// kDumpPrefixes message in order.
class DumpCollector {
 public:
  void add(const shm::Message& entry);
  TableImage take();
  // Entries that did not parse (logged by the caller).
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  TableImage image_;
  std::map<uint32_t, std::string> identity_by_key_;
  std::vector<std::string> errors_;
};

// SAs equal in everything the data plane holds; keys only when both carry one.
bool same_sa(const shm::SaRecord& a, const shm::SaRecord& b);
// Sessions equal in the fields that cannot change in place (delete + add).
bool same_session_ids(const shm::SessionRecord& a, const shm::SessionRecord& b);
// Sessions equal in the fields kSessionModify changes.
bool same_session_sas_mtu(const shm::SessionRecord& a, const shm::SessionRecord& b);

// Appends the commands that add `session`: kSessionAdd with the first
// prefixes, then kBindPrefixes for the rest.
void append_session_add(const SessionImage& session, std::vector<Command>& out);
// kBindPrefixes commands for `prefixes`, kPrefixesPerRecord at a time.
void append_bindings(shm::SessionKey key, bool unbind,
                     const std::vector<config::IpPrefix>& prefixes, std::vector<Command>& out);

// The ordered commands that turn `actual` into `desired`:
//   1. delete sessions that are stale, whose ids changed, or that reference
//      an SA that must be replaced (an SA cannot change while referenced);
//   2. delete the SAs that must be replaced;
//   3. add missing and replaced SAs;
//   4. modify kept sessions whose sa_in/sa_in_old/sa_out/mtu differ;
//   5. unbind prefixes kept sessions lose (so that they can move);
//   6. bind prefixes kept sessions gain, add missing sessions;
//   7. delete stale SAs (nothing references them any more).
// Equal entries produce no command.
std::vector<Command> reconcile(const TableImage& desired, const TableImage& actual);

}  // namespace softwire::cp
