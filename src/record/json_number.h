// Integers read from JSON files a user hands faultline (run records, atlases).
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace faultline::record {

// `v` as a T, if it is a JSON integer that T can hold; nullopt for anything else, a float
// included (even 3.0: faultline writes integers as integers). nlohmann's own get<T>() takes
// any number: it cuts a fraction, wraps a negative number into an unsigned type, and
// converting a float beyond T's range is undefined behaviour.
template <std::integral T>
requires(!std::same_as<T, bool>) std::optional<T> json_integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  }
  return std::nullopt;
}

// What json_integer<T> accepts, for messages: "an integer from 0 to 18446744073709551615".
template <std::integral T>
std::string json_integer_expected() {
  return "an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
         std::to_string(std::numeric_limits<T>::max());
}

}  // namespace faultline::record
