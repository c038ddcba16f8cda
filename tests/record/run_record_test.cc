// Saving and loading run records: a record comes back exactly as it was saved, saving is
// atomic, and every kind of damage is reported with the file, the line and the problem.
#include "record/run_record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace faultline::record {
namespace {

namespace fs = std::filesystem;

class RunRecordFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("faultline-record-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void spit(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  }
  std::string load_error() {
    try {
      load(dir_);
    } catch (const RecordError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

RunRecord sample_record() {
  RunRecord r;
  r.meta.scenario = "cloudflare-2020";
  r.meta.driver = "sim";
  r.meta.system = "faultline";
  r.meta.profile = "etcd-3.4";
  r.meta.seed = 18446744073709551615ULL;  // the largest seed survives JSON
  r.meta.nodes = {1, 2, 3};
  r.meta.heartbeat_us = 100'000;
  r.meta.election_timeout_us = 500'000;
  r.meta.duration_us = 60'000'000;
  r.meta.first_fault_us = 20'000'000;
  r.meta.last_heal_us = 40'000'000;
  r.meta.scenario_json = R"({"name":"cloudflare-2020","nodes":3})";
  r.meta.invariant_violations = 0;
  r.ops.push_back({1, 0, 1, OpKind::write, "k,1", "v \"quoted\"", 0, 5, 900, Outcome::ok, ""});
  r.ops.push_back(
      {2, 1, 2, OpKind::read, "k\n2", std::string("\0\xff", 2), 1000, 1000, 1800, Outcome::ok, ""});
  r.ops.push_back({3, 2, 3, OpKind::write, "k3", "x", 2000, 2001, -1, Outcome::timeout, "timeout"});
  r.ops.push_back(
      {4, 0, 3, OpKind::write, "k3", "y", 3000, 3000, 3100, Outcome::fail, "no leader"});
  r.samples.push_back({0, 1, Role::follower, 1, 0, 0, 0});
  r.samples.push_back({100'000, 1, Role::leader, 2, 1, 5, 5});
  r.samples.push_back({100'000, 2, Role::pre_candidate, 1, 0, 4, 4});
  r.samples.push_back({200'000, 3, Role::down, 1, 0, 4, 3});
  FaultEvent cut;
  cut.time_us = 20'000'000;
  cut.kind = FaultKind::cut;
  cut.label = "cut leader <-> follower[0]";
  cut.links = {{1, 3}, {3, 1}};
  cut.detail = "nft add rule ...";
  r.faults.push_back(cut);
  FaultEvent loss;
  loss.time_us = 21'000'000;
  loss.kind = FaultKind::loss;
  loss.links = {{1, 2}};
  loss.loss = 0.7;
  r.faults.push_back(loss);
  FaultEvent crash;
  crash.time_us = 30'000'000;
  crash.kind = FaultKind::crash;
  crash.nodes = {2};
  r.faults.push_back(crash);
  return r;
}

void expect_same(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.meta.scenario, b.meta.scenario);
  EXPECT_EQ(a.meta.driver, b.meta.driver);
  EXPECT_EQ(a.meta.system, b.meta.system);
  EXPECT_EQ(a.meta.profile, b.meta.profile);
  EXPECT_EQ(a.meta.seed, b.meta.seed);
  EXPECT_EQ(a.meta.nodes, b.meta.nodes);
  EXPECT_EQ(a.meta.heartbeat_us, b.meta.heartbeat_us);
  EXPECT_EQ(a.meta.election_timeout_us, b.meta.election_timeout_us);
  EXPECT_EQ(a.meta.duration_us, b.meta.duration_us);
  EXPECT_EQ(a.meta.first_fault_us, b.meta.first_fault_us);
  EXPECT_EQ(a.meta.last_heal_us, b.meta.last_heal_us);
  EXPECT_EQ(a.meta.scenario_json, b.meta.scenario_json);
  EXPECT_EQ(a.meta.invariant_violations, b.meta.invariant_violations);
  EXPECT_EQ(a.meta.violation, b.meta.violation);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (std::size_t i = 0; i < a.ops.size(); ++i) {
    const Operation &x = a.ops[i], &y = b.ops[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.client, y.client);
    EXPECT_EQ(x.node, y.node);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.key, y.key);
    EXPECT_EQ(x.value, y.value);
    EXPECT_EQ(x.intended_us, y.intended_us);
    EXPECT_EQ(x.sent_us, y.sent_us);
    EXPECT_EQ(x.completed_us, y.completed_us);
    EXPECT_EQ(x.outcome, y.outcome);
    EXPECT_EQ(x.error, y.error);
  }
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    const NodeSample &x = a.samples[i], &y = b.samples[i];
    EXPECT_EQ(x.time_us, y.time_us);
    EXPECT_EQ(x.node, y.node);
    EXPECT_EQ(x.role, y.role);
    EXPECT_EQ(x.term, y.term);
    EXPECT_EQ(x.leader, y.leader);
    EXPECT_EQ(x.commit, y.commit);
    EXPECT_EQ(x.applied, y.applied);
  }
  ASSERT_EQ(a.faults.size(), b.faults.size());
  for (std::size_t i = 0; i < a.faults.size(); ++i) {
    const FaultEvent &x = a.faults[i], &y = b.faults[i];
    EXPECT_EQ(x.time_us, y.time_us);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.label, y.label);
    EXPECT_EQ(x.links, y.links);
    EXPECT_EQ(x.nodes, y.nodes);
    EXPECT_EQ(x.loss, y.loss);
    EXPECT_EQ(x.delay_us, y.delay_us);
    EXPECT_EQ(x.detail, y.detail);
  }
}

TEST_F(RunRecordFiles, ARecordComesBackExactlyAsSavedEvenWithAwkwardBytes) {
  RunRecord r = sample_record();
  save(r, dir_);
  expect_same(r, load(dir_));
}

TEST_F(RunRecordFiles, SavingLeavesNoTemporaryFilesAndTheFourNamedFiles) {
  save(sample_record(), dir_);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"faults.jsonl", "meta.json", "ops.csv", "samples.csv"}));
}

TEST_F(RunRecordFiles, SavingOverAnOlderRecordReplacesIt) {
  RunRecord r = sample_record();
  save(r, dir_);
  r.ops.resize(1);
  r.meta.seed = 7;
  save(r, dir_);
  RunRecord back = load(dir_);
  EXPECT_EQ(back.ops.size(), 1u);
  EXPECT_EQ(back.meta.seed, 7u);
}

TEST_F(RunRecordFiles, AnEmptyRecordRoundTrips) {
  RunRecord r;
  r.meta.scenario = "idle";
  save(r, dir_);
  expect_same(r, load(dir_));
}

TEST_F(RunRecordFiles, AFolderWithoutMetaIsNotARecord) {
  fs::create_directories(dir_);
  EXPECT_NE(load_error().find("no meta.json"), std::string::npos) << load_error();
}

TEST_F(RunRecordFiles, ACutOffLastLineIsReportedAsTruncated) {
  save(sample_record(), dir_);
  std::string ops = slurp(dir_ / "ops.csv");
  spit(dir_ / "ops.csv", ops.substr(0, ops.size() - 5));
  std::string error = load_error();
  // The last op starts on line 6: the second op's key holds a newline.
  EXPECT_NE(error.find("ops.csv:6"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(RunRecordFiles, MissingWholeRowsAreCaughtByTheCountsInMeta) {
  save(sample_record(), dir_);
  std::string samples = slurp(dir_ / "samples.csv");
  samples.erase(samples.rfind('\n', samples.size() - 2) + 1);  // drop the last row
  spit(dir_ / "samples.csv", samples);
  std::string error = load_error();
  EXPECT_NE(error.find("samples.csv: has 3 rows but meta.json says 4"), std::string::npos) << error;
}

TEST_F(RunRecordFiles, ABadNumberNamesTheFileLineAndColumn) {
  save(sample_record(), dir_);
  std::string ops = slurp(dir_ / "ops.csv");
  std::size_t at = ops.find("2001");
  ops.replace(at, 4, "2oo1");
  spit(dir_ / "ops.csv", ops);
  std::string error = load_error();
  EXPECT_NE(error.find("ops.csv:"), std::string::npos) << error;
  EXPECT_NE(error.find("column 'sent_us': not an integer: '2oo1'"), std::string::npos) << error;
}

TEST_F(RunRecordFiles, AnUnknownRoleIsNamed) {
  save(sample_record(), dir_);
  std::string samples = slurp(dir_ / "samples.csv");
  samples.replace(samples.find("pre_candidate"), 13, "emperor");
  spit(dir_ / "samples.csv", samples);
  std::string error = load_error();
  EXPECT_NE(error.find("samples.csv:4: column 'role': unknown value 'emperor'"), std::string::npos)
      << error;
}

TEST_F(RunRecordFiles, ABrokenFaultLineIsNamed) {
  save(sample_record(), dir_);
  std::string faults = slurp(dir_ / "faults.jsonl");
  faults.replace(faults.find('\n') + 1, 1, "[");
  spit(dir_ / "faults.jsonl", faults);
  std::string error = load_error();
  EXPECT_NE(error.find("faults.jsonl:2"), std::string::npos) << error;
}

TEST_F(RunRecordFiles, AMissingColumnIsNamed) {
  save(sample_record(), dir_);
  std::string ops = slurp(dir_ / "ops.csv");
  ops.replace(ops.find("outcome"), 7, "result");
  spit(dir_ / "ops.csv", ops);
  std::string error = load_error();
  EXPECT_NE(error.find("ops.csv:1: header has no column 'outcome'"), std::string::npos) << error;
}

// A number in meta.json or faults.jsonl must be an integer its field can hold: a float, a
// negative node id or seed, a value beyond 64 bits (which JSON parsers read as a float) is
// refused with the file and the field, never cut, wrapped or converted out of range.
TEST_F(RunRecordFiles, NumbersInItsJsonFilesMustBeIntegersTheirFieldsCanHold) {
  using nlohmann::json;
  const auto meta_refused = [this](const std::string& field, const json& value,
                                   const std::string& expected) {
    save(sample_record(), dir_);
    json meta = json::parse(slurp(dir_ / "meta.json"));
    if (field == "ops") {
      meta["counts"]["ops"] = value;
    } else {
      meta[field] = value;
    }
    spit(dir_ / "meta.json", meta.dump());
    const std::string error = load_error();
    EXPECT_NE(error.find(expected), std::string::npos) << value.dump() << ": " << error;
  };
  meta_refused("seed", 18446744073709551616.0,
               "meta.json: field 'seed': expected an integer from 0 to 18446744073709551615, not");
  meta_refused("seed", -1, "meta.json: field 'seed'");
  meta_refused("heartbeat_us", 1e50, "meta.json: field 'heartbeat_us'");
  meta_refused("heartbeat_us", 100000.5, "meta.json: field 'heartbeat_us'");
  meta_refused("nodes", json::array({1, -2, 3}), "meta.json: field 'nodes'");
  meta_refused("nodes", 3, "meta.json: field 'nodes'");
  meta_refused("ops", 4.0, "ops.csv: its row count in meta.json");

  const auto fault_refused = [this](const std::string& from, const std::string& to,
                                    const std::string& expected) {
    save(sample_record(), dir_);
    std::string text = slurp(dir_ / "faults.jsonl");
    const std::size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << text;
    spit(dir_ / "faults.jsonl", text.replace(at, from.size(), to));
    const std::string error = load_error();
    EXPECT_NE(error.find(expected), std::string::npos) << to << ": " << error;
  };
  fault_refused("\"time_us\":20000000", "\"time_us\":1.9444e50",
                "faults.jsonl:1: time_us: expected an integer from -9223372036854775808");
  fault_refused("[[1,3],[3,1]]", "[[1,3],[3,1.5]]", "faults.jsonl:1: a link");
  fault_refused("\"nodes\":[2]", "\"nodes\":[-2]", "faults.jsonl:3: a node");
  fault_refused("\"nodes\":[2]", "\"nodes\":2", "faults.jsonl:3: nodes is not a list");
  fault_refused("\"delay_us\":0", "\"delay_us\":1e300", "faults.jsonl:1: delay_us");
}

TEST_F(RunRecordFiles, MetaFromAnotherProgramIsRefused) {
  save(sample_record(), dir_);
  spit(dir_ / "meta.json", R"({"name": "something else"})");
  EXPECT_NE(load_error().find("not a faultline run record"), std::string::npos) << load_error();
}

TEST_F(RunRecordFiles, LoadOpsReadsABareOpsFile) {
  save(sample_record(), dir_);
  std::vector<Operation> ops = load_ops(dir_ / "ops.csv");
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[1].key, "k\n2");
  EXPECT_THROW(load_ops(dir_ / "nope.csv"), RecordError);
}

TEST(RecordNames, EveryEnumNameRoundTrips) {
  for (auto k : {OpKind::write, OpKind::read}) EXPECT_EQ(op_kind_from(to_string(k)), k);
  for (auto o : {Outcome::ok, Outcome::fail, Outcome::timeout})
    EXPECT_EQ(outcome_from(to_string(o)), o);
  for (auto r : {Role::follower, Role::pre_candidate, Role::candidate, Role::leader, Role::down}) {
    EXPECT_EQ(role_from(to_string(r)), r);
  }
  for (int k = 0; k <= static_cast<int>(FaultKind::resume); ++k) {
    auto kind = static_cast<FaultKind>(k);
    EXPECT_EQ(fault_kind_from(to_string(kind)), kind);
  }
  EXPECT_FALSE(role_from("Leader"));
}

}  // namespace
}  // namespace faultline::record
