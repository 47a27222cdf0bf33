// TopicConfig and DataVersion as RocketMQ writes them (fastjson's field
// names, sorted), for topics.json and REGISTER_BROKER bodies alike. The
// readers stay with their formats: topics.json's strict one in
// store/config_files.cc, the wire's lenient one in remoting/route_data.cc.
#pragma once

#include <boost/json/object.hpp>

#include "common/topic_config.h"

namespace rmq::common {

// Written as they are: a caller writing its own state asserts it first
// (store/config_files.cc does); what came off the wire goes back as it came.
boost::json::object to_json(const DataVersion& d);
boost::json::object to_json(const TopicConfig& t);

}  // namespace rmq::common
