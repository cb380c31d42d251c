#pragma once

#include "shared/util/result.h"

#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

// Reading providers' JSON without trusting its shape: every accessor answers "absent" for a
// missing key or a value of another type, so a changed or hostile answer is a clear error in
// the adapter, never an exception deep inside it. Private to server/integrations.
namespace cc::server::integrations {

// A JSON object, parsed with bounded depth; the reason when the text is not one.
Result<boost::json::value, std::string> parseObject(std::string_view text);

const boost::json::value* findPath(const boost::json::value& root,
                                   std::initializer_list<std::string_view> path);
const boost::json::value* findPath(const boost::json::object& root,
                                   std::initializer_list<std::string_view> path);

std::string stringAt(const boost::json::value* object, std::string_view key);
std::optional<double> numberAt(const boost::json::value* object, std::string_view key);
std::optional<bool> boolAt(const boost::json::value* object, std::string_view key);
const boost::json::array* arrayAt(const boost::json::value* object, std::string_view key);

} // namespace cc::server::integrations
