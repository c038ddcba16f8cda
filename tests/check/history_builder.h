// Terse construction of register histories for the checker's tests: times in milliseconds.
#pragma once

#include <vector>

#include "record/run_record.h"

namespace faultline::check::testing {

class HistoryBuilder {
 public:
  // An acknowledged write of `value` to `key`, in flight from `sent_ms` to `done_ms`.
  HistoryBuilder& write(const std::string& key, const std::string& value, double sent_ms,
                        double done_ms) {
    return add(record::OpKind::write, key, value, sent_ms, done_ms, record::Outcome::ok);
  }
  // A read of `key` that returned `value` ("" = absent).
  HistoryBuilder& read(const std::string& key, const std::string& value, double sent_ms,
                       double done_ms) {
    return add(record::OpKind::read, key, value, sent_ms, done_ms, record::Outcome::ok);
  }
  // A write the client gave up on: it may or may not have happened.
  HistoryBuilder& write_unknown(const std::string& key, const std::string& value, double sent_ms) {
    return add(record::OpKind::write, key, value, sent_ms, -1, record::Outcome::timeout);
  }
  // A write refused before it was proposed: it certainly did not happen.
  HistoryBuilder& write_failed(const std::string& key, const std::string& value, double sent_ms,
                               double done_ms) {
    return add(record::OpKind::write, key, value, sent_ms, done_ms, record::Outcome::fail);
  }
  HistoryBuilder& read_unknown(const std::string& key, double sent_ms) {
    return add(record::OpKind::read, key, "", sent_ms, -1, record::Outcome::timeout);
  }

  const std::vector<record::Operation>& ops() const { return ops_; }
  std::uint64_t last_id() const { return ops_.back().id; }

 private:
  HistoryBuilder& add(record::OpKind kind, const std::string& key, const std::string& value,
                      double sent_ms, double done_ms, record::Outcome outcome) {
    record::Operation op;
    op.id = ops_.size() + 1;
    op.client = static_cast<std::uint32_t>(ops_.size() % 4);
    op.kind = kind;
    op.key = key;
    op.value = value;
    op.intended_us = op.sent_us = static_cast<record::Micros>(sent_ms * 1000);
    op.completed_us = done_ms < 0 ? -1 : static_cast<record::Micros>(done_ms * 1000);
    op.outcome = outcome;
    ops_.push_back(op);
    return *this;
  }

  std::vector<record::Operation> ops_;
};

}  // namespace faultline::check::testing
