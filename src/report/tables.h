// The report's tables, as HTML: the analysis of one run per phase (with its verdict and the
// linearizability result), and the comparison table whose rows are runs. Every number cell
// carries data-metric and data-value (the analysis' exact value) so tests, and anyone
// scraping a report, can read the numbers back without parsing the formatted text.
#pragma once

#include <string>
#include <vector>

#include "analysis/analysis.h"

namespace faultline::report {

// "1234 ms" below ten seconds, "12.3 s" above.
std::string format_ms(double ms);
// "33.3%".
std::string format_share(double share);

// The share of the phase's offered requests that had no answer within 100 ms.
double delayed_share(const analysis::Phase& phase);

// A <table> with one row per phase (before, during, after).
std::string phase_table(const analysis::Summary& summary);

// The verdict badge, its reason, the linearizability result and any invariant violation.
std::string verdict_block(const analysis::Summary& summary);

struct ComparisonRow {
  std::string label;   // how the run is named on the page
  std::string anchor;  // the id of the run's section
  const analysis::Summary* summary = nullptr;
};
// One row per run: verdict, elections per phase, term increase, downtime, goodput, delayed
// share and p99 during the faults, linearizability.
std::string comparison_table(const std::vector<ComparisonRow>& rows);

}  // namespace faultline::report
