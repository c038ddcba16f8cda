// The run record's CSV dialect: what goes in comes out, byte for byte, and damage is named.
#include "record/csv.h"

#include <gtest/gtest.h>

namespace faultline::record::csv {
namespace {

std::vector<std::vector<std::string>> read_all(std::string_view text) {
  Reader reader(text);
  std::vector<std::vector<std::string>> rows;
  while (auto row = reader.next()) rows.push_back(*row);
  return rows;
}

TEST(Csv, PlainFieldsAreWrittenAsTheyAre) {
  std::string out;
  append_row(out, {"1", "k7", "", "ok"});
  EXPECT_EQ(out, "1,k7,,ok\n");
}

TEST(Csv, FieldsWithSeparatorsAreQuotedAndComeBackUnchanged) {
  const std::vector<std::string> tricky = {"a,b",        "say \"hi\"", "two\nlines",
                                           "cr\rlf\r\n", " padded ",   std::string("nul\0byte", 8),
                                           "\xff\xfe"};
  std::string out;
  std::vector<std::string_view> views(tricky.begin(), tricky.end());
  append_row(out, views);
  append_row(out, {"next"});
  auto rows = read_all(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], tricky);
  EXPECT_EQ(rows[1], std::vector<std::string>{"next"});
}

TEST(Csv, TheReaderReportsTheLineWhereAMultiLineRecordStarts) {
  Reader reader("h\n\"a\nb\"\nc\n");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 1u);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 2u);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 4u);
  EXPECT_FALSE(reader.next());
}

TEST(Csv, CrlfLineEndsAreAccepted) {
  auto rows = read_all("a,b\r\nc,d\r\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"c", "d"}));
}

TEST(Csv, ALastLineWithoutNewlineIsATruncatedFile) {
  Reader reader("a,b\nc,");
  ASSERT_TRUE(reader.next());
  EXPECT_THROW(reader.next(), std::runtime_error);
}

TEST(Csv, AnUnterminatedQuoteIsAnError) {
  Reader reader("\"abc\n");
  EXPECT_THROW(reader.next(), std::runtime_error);
}

TEST(Csv, AQuoteInsideAnUnquotedFieldIsAnError) {
  Reader reader("ab\"c\n");
  EXPECT_THROW(reader.next(), std::runtime_error);
}

}  // namespace
}  // namespace faultline::record::csv
