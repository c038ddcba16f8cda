// The one error the report raises for bad input: its message names the file or folder and
// the problem, and `faultline report` turns it into exit code 2 with nothing written.
#pragma once

#include <stdexcept>

namespace faultline::report {

class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace faultline::report
