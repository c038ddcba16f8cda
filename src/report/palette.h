// The report's colours. Every hue comes from the Okabe-Ito palette, which stays distinct for
// readers with the common forms of colour blindness; no meaning is carried by colour alone
// (tables and tooltips always name the role or verdict as text too).
#pragma once

#include <string_view>

#include "record/run_record.h"

namespace faultline::report::palette {

inline constexpr std::string_view kOrange = "#E69F00";
inline constexpr std::string_view kSkyBlue = "#56B4E9";
inline constexpr std::string_view kBluishGreen = "#009E73";
inline constexpr std::string_view kYellow = "#F0E442";
inline constexpr std::string_view kBlue = "#0072B2";
inline constexpr std::string_view kVermillion = "#D55E00";
inline constexpr std::string_view kReddishPurple = "#CC79A7";
inline constexpr std::string_view kBlack = "#000000";

// Neutral greys for axes, grid and the "normal" state that should not draw the eye.
inline constexpr std::string_view kAxis = "#444444";
inline constexpr std::string_view kGrid = "#e3e3e3";
inline constexpr std::string_view kMuted = "#777777";
inline constexpr std::string_view kFollower = "#d4d4d4";

// Fault periods: a pale vermillion wash with a stronger edge.
inline constexpr std::string_view kFaultFill = "#D55E00";
inline constexpr double kFaultOpacity = 0.13;

inline constexpr std::string_view role_colour(record::Role role) {
  switch (role) {
    case record::Role::leader:
      return kBlue;
    case record::Role::candidate:
      return kVermillion;
    case record::Role::pre_candidate:
      return kOrange;
    case record::Role::down:
      return "#222222";
    case record::Role::follower:
      break;
  }
  return kFollower;
}

// Verdicts from the analysis: stable, disrupted, livelock, deadlock (anything else: grey).
inline constexpr std::string_view verdict_colour(std::string_view verdict) {
  if (verdict == "stable") return kBluishGreen;
  if (verdict == "disrupted") return kOrange;
  if (verdict == "livelock") return kVermillion;
  if (verdict == "deadlock") return kReddishPurple;
  return "#bbbbbb";
}

}  // namespace faultline::report::palette
