// Histories in the JSON shape Jepsen's tools read: what the exporter writes, and that the
// importer reads it (and hand-written Jepsen-style histories) back to the same verdict.
#include "check/history_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "check/linearizability.h"
#include "history_builder.h"

namespace faultline::check {
namespace {

using nlohmann::json;
using testing::HistoryBuilder;

TEST(HistoryJson, ElleShapeWritesOneMicroOpTransactionsWithInvokeAndCompletion) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).read("x", "1", 20, 30);
  json j = to_jepsen_json(h.ops());
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["type"], "invoke");
  EXPECT_EQ(j[0]["f"], "txn");
  EXPECT_EQ(j[0]["value"], json::parse(R"([["w","x",1]])"));
  EXPECT_EQ(j[0]["time"], 0);
  EXPECT_EQ(j[1]["type"], "ok");
  EXPECT_EQ(j[1]["time"], 10'000'000);  // nanoseconds
  EXPECT_EQ(j[2]["value"], json::parse(R"([["r","x",null]])"))
      << "a read's invocation has no value";
  EXPECT_EQ(j[3]["value"], json::parse(R"([["r","x",1]])"));
  for (std::size_t i = 0; i < j.size(); ++i) EXPECT_EQ(j[i]["index"], i);
}

TEST(HistoryJson, ValuesThatAreNotIntegersStayStringsAndAbsentIsNull) {
  HistoryBuilder h;
  h.write("x", "v-7", 0, 10).write("x", "007", 11, 12).read("y", "", 20, 30);
  json j = to_jepsen_json(h.ops());
  EXPECT_EQ(j[0]["value"][0][2], "v-7");
  EXPECT_EQ(j[2]["value"][0][2], "007") << "a leading zero is not a canonical integer";
  EXPECT_TRUE(j[5]["value"][0][2].is_null());
}

TEST(HistoryJson, ConcurrentOpsOfOneClientGetSeparateProcessesAndInfoRetiresAProcess) {
  HistoryBuilder h;
  h.write("x", "1", 0, 50)
      .write_unknown("x", "2", 10)
      .write("x", "3", 20, 30)
      .write("x", "4", 60, 70)
      .write("x", "5", 80, 90);
  json j = to_jepsen_json(h.ops());
  std::map<std::uint64_t, std::int64_t> process;  // op_id -> process of its invocation
  std::set<std::int64_t> open;
  for (const json& e : j) {
    std::int64_t p = e["process"];
    if (e["type"] == "invoke") {
      EXPECT_FALSE(open.count(p)) << "one op at a time per process";
      open.insert(p);
      process[e["op_id"]] = p;
    } else {
      open.erase(p);
    }
  }
  EXPECT_NE(process[1], process[2]);
  EXPECT_NE(process[2], process[3]);
  EXPECT_NE(process[4], process[2]) << "a process whose op ended in info is never reused";
  EXPECT_NE(process[5], process[2]);
  EXPECT_EQ(j.back()["type"], "info");
}

TEST(HistoryJson, KnossosShapeIsFlatAndRefusesSeveralKeys) {
  HistoryBuilder one;
  one.write("x", "1", 0, 10).read("x", "1", 20, 30);
  json j = to_jepsen_json(one.ops(), HistoryFormat::knossos);
  EXPECT_EQ(j[0]["f"], "write");
  EXPECT_EQ(j[0]["value"], 1);
  EXPECT_EQ(j[3]["f"], "read");
  EXPECT_EQ(j[3]["value"], 1);
  HistoryBuilder two;
  two.write("x", "1", 0, 10).write("y", "1", 0, 10);
  EXPECT_THROW(to_jepsen_json(two.ops(), HistoryFormat::knossos), HistoryError);
}

TEST(HistoryJson, BytesThatAreNotUtf8AreRefusedRatherThanMangled) {
  HistoryBuilder h;
  h.write("x", "\xff\xfe", 0, 10);
  EXPECT_THROW(to_jepsen_json(h.ops()), HistoryError);
}

TEST(HistoryJson, AnExportedHistoryReadsBackToTheSameOpsAndVerdict) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10)
      .write_unknown("x", "2", 20)
      .write_failed("x", "9", 21, 22)
      .read("x", "2", 30, 40)
      .write("y", "a b", 0, 5)
      .read("y", "a b", 6, 7)
      .read("z", "", 1, 2);
  {
    auto back = from_jepsen_json(to_jepsen_json(h.ops()));
    ASSERT_EQ(back.size(), h.ops().size());
    std::sort(back.begin(), back.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (std::size_t i = 0; i < back.size(); ++i) {
      const auto &x = h.ops()[i], &y = back[i];
      EXPECT_EQ(y.id, x.id);
      EXPECT_EQ(y.kind, x.kind);
      EXPECT_EQ(y.key, x.key);
      EXPECT_EQ(y.value, x.value);
      EXPECT_EQ(y.outcome, x.outcome);
      EXPECT_EQ(y.sent_us, x.sent_us);
      if (x.outcome != record::Outcome::timeout) {
        EXPECT_EQ(y.completed_us, x.completed_us);
      }
    }
    EXPECT_EQ(check_history(back).verdict, Verdict::valid);
  }
}

// Found by fuzz/history: an answer within the microsecond of its request (Jepsen's
// nanoseconds, rounded down) sorted before its own invocation, and the export failed.
TEST(HistoryJson, AnOperationShorterThanAMicrosecondExportsInvokeFirst) {
  json j = json::parse(R"([
    {"process": 0, "type": "invoke", "f": "txn", "value": [["w", "x", 1]], "time": 1000},
    {"process": 0, "type": "ok", "f": "txn", "value": [["w", "x", 1]], "time": 1500},
    {"process": 1, "type": "invoke", "f": "txn", "value": [["r", "x", null]], "time": 1700},
    {"process": 1, "type": "ok", "f": "txn", "value": [["r", "x", 1]], "time": 3000}
  ])");
  const auto ops = from_jepsen_json(j);
  ASSERT_EQ(ops.size(), 2u);
  ASSERT_EQ(ops[0].sent_us, ops[0].completed_us);
  const json out = to_jepsen_json(ops);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0]["type"], "invoke");
  EXPECT_EQ(out[0]["op_id"], ops[0].id);
  // The write's answer and the read's request share a microsecond: each op is invoked
  // before it completes, and the two may overlap.
  for (const std::uint64_t id : {ops[0].id, ops[1].id}) {
    int invoked = -1, completed = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i]["op_id"] != id) continue;
      (out[i]["type"] == "invoke" ? invoked : completed) = static_cast<int>(i);
    }
    EXPECT_LT(invoked, completed) << "op " << id;
  }
  EXPECT_EQ(check_history(from_jepsen_json(out)).verdict, Verdict::valid);
}

TEST(HistoryJson, AHandWrittenKnossosHistoryIsRead) {
  // The flat shape, with an :info op and a nemesis op that must be skipped.
  json j = json::parse(R"([
    {"process": 0, "type": "invoke", "f": "write", "value": 3, "time": 1000},
    {"process": 0, "type": "ok", "f": "write", "value": 3, "time": 2000},
    {"process": "nemesis", "type": "info", "f": "start", "value": null},
    {"process": 1, "type": "invoke", "f": "write", "value": 4, "time": 3000},
    {"process": 1, "type": "info", "f": "write", "value": 4, "time": 9000},
    {"process": 2, "type": "invoke", "f": "read", "value": null, "time": 10000},
    {"process": 2, "type": "ok", "f": "read", "value": 4, "time": 11000},
    {"process": 3, "type": "invoke", "f": "read", "value": null, "time": 12000},
    {"process": 3, "type": "ok", "f": "read", "value": 3, "time": 13000}
  ])");
  auto ops = from_jepsen_json(j);
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[1].outcome, record::Outcome::timeout);
  EXPECT_EQ(ops[2].value, "4");
  CheckResult r = check_history(ops);
  EXPECT_EQ(r.verdict, Verdict::invalid) << "3 came back after 4 was read";
}

TEST(HistoryJson, ImportErrorsNameThePosition) {
  auto error_of = [](const char* text) -> std::string {
    try {
      from_jepsen_json(json::parse(text));
    } catch (const HistoryError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(
      error_of(R"([{"process":0,"type":"invoke","f":"txn","value":[["w","x",1],["r","y",null]]}])")
          .find("position 0: a txn must hold exactly one micro-op"),
      std::string::npos);
  EXPECT_NE(error_of(R"([{"process":0,"type":"ok","f":"write","value":1}])").find("position 0"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"([{"process":0,"type":"invoke","f":"cas","value":[1,2]}])").find("unsupported f"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"not":"an array"})").find("JSON array"), std::string::npos);
  // Found by fuzz/history: a field of the wrong type escaped as nlohmann's own exception
  // (no position), and a time beyond 64 bits was converted regardless.
  EXPECT_NE(error_of(R"([{"process":0,"type":["ok"],"f":"write","value":1}])")
                .find("position 0: 'type' must be a string"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"process":0,"type":"invoke","f":7,"value":1}])")
                .find("position 0: 'f' must be a string"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"process":0,"type":"invoke","f":"write","value":1,"time":1e300}])")
                .find("position 0: time must be"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"process":0,"type":"invoke","f":"write","value":1,"time":-5}])")
                .find("position 0: time must be"),
            std::string::npos);
}

TEST(HistoryJson, AStructuredFailureReasonIsKeptAsItsJson) {
  const auto ops = from_jepsen_json(json::parse(R"([
    {"process": 0, "type": "invoke", "f": "write", "value": 1, "time": 1000},
    {"process": 0, "type": "fail", "f": "write", "value": 1, "time": 2000,
     "error": ["not-found", 3]}
  ])"));
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].outcome, record::Outcome::fail);
  EXPECT_EQ(ops[0].error, R"(["not-found",3])");
}

TEST(HistoryJson, ExportAndLoadThroughAFile) {
  HistoryBuilder h;
  h.write("x", "1", 0, 10).read("x", "1", 20, 30);
  auto path = std::filesystem::temp_directory_path() /
              ("faultline-history-" + std::to_string(::getpid()) + ".json");
  export_history(h.ops(), path);
  auto back = load_history(path);
  EXPECT_EQ(back.size(), 2u);
  // JSON lines are accepted too.
  {
    std::ofstream out(path, std::ios::trunc);
    for (const json& e : to_jepsen_json(h.ops())) out << e.dump() << "\n";
  }
  EXPECT_EQ(load_history(path).size(), 2u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace faultline::check
