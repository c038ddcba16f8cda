// What a load generator asks for: which operation, on which key, writing which value.
// `OpGenerator::plan(id)` is a pure function of the workload and the operation's id, so
// any number of threads can plan operations without sharing a random generator, and the
// same seed plans the same run again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "client/kv_client.h"
#include "record/run_record.h"

namespace faultline::client {

enum class OpMix : std::uint8_t { put, get, mix };

struct WorkloadSpec {
  OpMix mix = OpMix::put;
  double read_ratio = 0.5;  // share of gets when mix == OpMix::mix
  ReadConsistency consistency = ReadConsistency::linearizable;
  std::size_t value_size = 256;
  std::uint64_t key_space = 100000;  // keys are drawn uniformly from this many
  std::string key_prefix = "bench/";
  // Every write gets a key of its own (prefix + operation id) instead of a random one, so
  // a check can find each acknowledged write again afterwards. Reads still draw keys from
  // the key space.
  bool key_per_write = false;
  std::uint64_t seed = 1;
  // Keep written and read values in the records (the lab's histories need them; a
  // throughput run does not, and they cost value_size bytes per operation).
  bool keep_values = false;
};

// Throws std::invalid_argument, naming the field, for a spec no run could honour.
void validate(const WorkloadSpec& spec);

struct PlannedOp {
  record::OpKind kind = record::OpKind::write;
  std::string key;
  std::string value;  // writes only
};

class OpGenerator {
 public:
  explicit OpGenerator(WorkloadSpec spec);  // validates
  const WorkloadSpec& spec() const { return spec_; }
  // Writes get a value unique to the operation id (the id in decimal, then filler), so a
  // read names the write it observed; values shorter than 21 bytes cannot always be unique.
  PlannedOp plan(std::uint64_t op_id) const;

 private:
  WorkloadSpec spec_;
  int key_digits_ = 1;
};

}  // namespace faultline::client
