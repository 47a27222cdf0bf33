#include "common/topic_config_json.h"

namespace rmq::common {

boost::json::object to_json(const DataVersion& d) {
  boost::json::object o;
  o["counter"] = d.counter;
  o["stateVersion"] = d.state_version;
  o["timestamp"] = d.timestamp;
  return o;
}

boost::json::object to_json(const TopicConfig& t) {
  boost::json::object o;
  o["order"] = t.order;
  o["perm"] = t.perm;
  o["readQueueNums"] = t.read_queue_nums;
  o["topicFilterType"] = t.topic_filter_type;
  o["topicName"] = t.topic_name;
  o["topicSysFlag"] = t.topic_sys_flag;
  o["writeQueueNums"] = t.write_queue_nums;
  return o;
}

}  // namespace rmq::common
