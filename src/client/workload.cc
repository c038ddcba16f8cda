#include "client/workload.h"

#include <cstdio>
#include <stdexcept>

namespace faultline::client {
namespace {

// splitmix64: a stateless mix, so an operation's draw depends only on (seed, id).
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A request larger than this is refused by etcd (1.5 MiB) and by faultline alike.
constexpr std::size_t kMaxValueSize = 1024 * 1024;

}  // namespace

void validate(const WorkloadSpec& spec) {
  if (spec.value_size == 0 || spec.value_size > kMaxValueSize) {
    throw std::invalid_argument("value size must be between 1 and 1048576 bytes, not " +
                                std::to_string(spec.value_size));
  }
  if (spec.key_space == 0) throw std::invalid_argument("key space must be at least 1");
  if (!(spec.read_ratio >= 0.0 && spec.read_ratio <= 1.0)) {
    throw std::invalid_argument("read ratio must be in [0, 1]");
  }
}

OpGenerator::OpGenerator(WorkloadSpec spec) : spec_(std::move(spec)) {
  validate(spec_);
  for (std::uint64_t n = spec_.key_space - 1; n >= 10; n /= 10) ++key_digits_;
}

PlannedOp OpGenerator::plan(std::uint64_t op_id) const {
  std::uint64_t draw = mix64(spec_.seed * 0x100000001b3ULL ^ op_id);
  PlannedOp op;
  switch (spec_.mix) {
    case OpMix::put:
      op.kind = record::OpKind::write;
      break;
    case OpMix::get:
      op.kind = record::OpKind::read;
      break;
    case OpMix::mix: {
      double u = static_cast<double>(mix64(draw) >> 11) * 0x1.0p-53;
      op.kind = u < spec_.read_ratio ? record::OpKind::read : record::OpKind::write;
      break;
    }
  }
  char digits[24];
  std::snprintf(digits, sizeof digits, "%0*llu", key_digits_,
                static_cast<unsigned long long>(draw % spec_.key_space));
  op.key = spec_.key_prefix + digits;
  if (op.kind == record::OpKind::write && spec_.key_per_write) {
    op.key = spec_.key_prefix + "w" + std::to_string(op_id);
  }
  if (op.kind == record::OpKind::write) {
    std::snprintf(digits, sizeof digits, "%llu:", static_cast<unsigned long long>(op_id));
    op.value.assign(digits);
    op.value.resize(spec_.value_size, 'v');
  }
  return op;
}

}  // namespace faultline::client
