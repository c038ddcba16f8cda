#include "testlib/script.h"

namespace faultline::raft::testlib {
namespace {

struct Word {
  std::string text;
  bool quoted = false;  // a quoted word is always an argument, even with a '=' inside
};

std::vector<Word> split_words(std::string_view line) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    Word word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      if (line[i] == '"') {
        std::size_t close = line.find('"', i + 1);
        if (close == std::string_view::npos) {
          throw ScriptError("unterminated quote in: " + std::string(line));
        }
        word.text.append(line.substr(i + 1, close - i - 1));
        word.quoted = true;
        i = close + 1;
      } else {
        word.text += line[i++];
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool is_commentary(std::string_view line) { return line.empty() || line.front() == '#'; }

}  // namespace

Command Command::parse(std::string_view line) {
  std::vector<Word> words = split_words(line);
  Command c;
  if (words.empty()) throw ScriptError("empty command");
  c.name = words[0].text;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i].text;
    std::size_t eq = w.find('=');
    if (!words[i].quoted && eq != std::string::npos && eq > 0) {
      std::string key = w.substr(0, eq);
      if (!c.options.emplace(key, w.substr(eq + 1)).second) {
        throw ScriptError("option " + key + " given twice in: " + std::string(line));
      }
    } else {
      c.args.push_back(w);
    }
  }
  return c;
}

Script Script::parse(std::string_view text) {
  Script script;
  std::vector<std::string_view> lines = split_lines(text);
  std::string verbatim;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_commentary(lines[i])) {
      verbatim.append(lines[i]);
      verbatim += '\n';
      continue;
    }
    ScriptCase c;
    c.line = static_cast<int>(i + 1);
    c.command = std::string(lines[i]);
    if (i + 1 >= lines.size() || lines[i + 1] != "----") {
      throw ScriptError("line " + std::to_string(i + 1) + ": command \"" + c.command +
                        "\" must be followed by a line \"----\"");
    }
    i += 2;
    while (i < lines.size() && !lines[i].empty()) c.expected.emplace_back(lines[i++]);
    if (!verbatim.empty()) script.parts.push_back(Part{std::move(verbatim), std::nullopt});
    verbatim.clear();
    script.parts.push_back(Part{"", std::move(c)});
    if (i < lines.size()) verbatim += '\n';  // the blank line that ended the case
  }
  if (!verbatim.empty()) script.parts.push_back(Part{std::move(verbatim), std::nullopt});
  return script;
}

std::string Script::render(const std::vector<std::vector<std::string>>& actual) const {
  std::string out;
  std::size_t k = 0;
  for (const Part& p : parts) {
    if (!p.test) {
      out += p.verbatim;
      continue;
    }
    out += p.test->command + "\n----\n";
    const std::vector<std::string>& lines = k < actual.size() ? actual[k] : p.test->expected;
    ++k;
    if (lines.empty()) out += "ok\n";
    for (const std::string& line : lines) out += line + "\n";
  }
  return out;
}

}  // namespace faultline::raft::testlib
