'use strict';
/*
 * Interop test: the real ali-ons@3.12.0 Node client against rmq-namesrv and
 * rmq-broker (issue 5, item 5). run.sh starts the servers and calls
 *
 *   node interop.js NAMESRV_ADDR [BROKER_ADDR]   the cases below
 *   node interop.js --smoke NAMESRV_ADDR         namesrv only (no broker)
 *   (--only=a,c runs a subset)
 *
 * Every case uses its own topic and consumer group (random suffix), creates
 * the topic first through ali-ons' admin call MQClientAPI#createTopic
 * (UPDATE_AND_CREATE_TOPIC, 4 read / 4 write queues, perm 6) on the master
 * found with GET_BROKER_CLUSTER_INFO, and waits until the namesrv returns a
 * route for it. Each case must finish within CASE_TIMEOUT_MS (60 s); every
 * wait inside it is bounded by that deadline.
 *
 * (a) roundtrip: 200 messages with tags, two keys (one non-ASCII), user
 *     properties (non-ASCII values: accents, CJK, emoji) and bodies from 1 B
 *     to 256 KiB -- the sizes around ali-ons' 4 KiB compression threshold
 *     (4095/4096/4097) and the other edges each with incompressible random
 *     and with compressible patterned content -- are sent, then consumed by a
 *     fresh clustering group started afterwards with
 *     consumeFromWhere = CONSUME_FROM_FIRST_OFFSET (ali-ons' option; its
 *     default, CONSUME_FROM_LAST_OFFSET, would skip what was sent before).
 *     Each message must arrive exactly once with the same body (length and
 *     the sha256 carried in property hSha), tags, keys, properties and the
 *     msgId/queueId/queueOffset the send reported. Also: the sends on the
 *     fresh topic got offsets 0,1,2.. per queue, each msgId encodes the
 *     broker address, and the committed offsets read back through
 *     QUERY_CONSUMER_OFFSET equal the number of messages per queue.
 * (b) sharding key: the consumer starts first (rebalanced onto all 4
 *     queues, so delivery goes through a held long poll). Three sharding
 *     keys x 20 messages, sent interleaved with Message#shardingKey, which
 *     ali-ons maps to queue md5(key) % queues. Every message of a key must
 *     land on that one queue, and the key's messages must be consumed in
 *     send order, each once.
 * (c) retry: of 3 messages the handler throws on the middle one at its first
 *     delivery; ali-ons then sends CONSUMER_SEND_MSG_BACK (delayLevel 0, the
 *     broker picks 3 = 10 s). The message must come back through the
 *     %RETRY%<group> subscription with reconsumeTimes 1, same body and
 *     properties, RETRY_TOPIC = topic and ORIGIN_MESSAGE_ID = first msgId;
 *     the send-back must have succeeded (no ali-ons fallback) and the retry
 *     topic must hold the copy. The other two arrive exactly once.
 * (d) broadcasting: 4 "old" messages are sent, then two broadcasting
 *     consumers of one group (default CONSUME_FROM_LAST_OFFSET, so they start
 *     at GET_MAX_OFFSET) take all 4 queues each; 20 new messages must reach
 *     each consumer exactly once, the old ones neither.
 * (e) rebalance: two clustering consumers in one group; after both have
 *     rebalanced, their queue sets must be disjoint, non-empty and cover all
 *     4 queues, and GET_CONSUMER_LIST_BY_GROUP must list both clients. 40
 *     messages must be received exactly once in total, each by the consumer
 *     owning its queue.
 * (f) delay levels: a consumer owning all 4 queues; one message without
 *     delay and one each with Message#delayTimeLevel 3, 2, 1 (property DELAY;
 *     the broker's default levels make those 10 s, 5 s, 1 s). Each must
 *     arrive once, intact (body, tags, keys, user properties, UNIQ_KEY), on
 *     the queue the send reported, without DELAY and with REAL_TOPIC,
 *     REAL_QID and WAIT=false; never before send start + delay, and at most
 *     3 s after send return + delay. The control message within 3 s.
 * (g) retry timing: a new group (so %RETRY%<group> is created by its first
 *     heartbeat) with pollNameServerInteval at ali-ons' 30 s default: the
 *     namesrv must have the retry route as soon as the consumer has started,
 *     and the consumer must pull the retry queue at once (ali-ons looks it up
 *     only right after that heartbeat, then every 30 s). One message fails
 *     once; the redelivery must come from %RETRY% with reconsumeTimes 1,
 *     ORIGIN_MESSAGE_ID = the send's msgId, same body/properties/UNIQ_KEY,
 *     10 s to 13 s after the handler threw.
 * (h) slave read: broker-a's SLAVE (run.sh starts it) serves a fresh group
 *     every message sent to the master, intact, after the master's SIGKILL
 *     (details at caseSlaveRead). Runs last.
 *
 * Output: one "PASS name: ..." or "FAIL name: ..." line per case (details on
 * following "  # " lines), then "N passed, M failed" alone on the last line.
 * Exit status 0 only if every case passed.
 */

const crypto = require('crypto');
const path = require('path');
const util = require('util');

const { Producer, Consumer, Message } = require('ali-ons');
const MQClientAPI = require('ali-ons/lib/mq_client_api');
const RemotingCommand = require('ali-ons/lib/protocol/command/remoting_command');
const RequestCode = require('ali-ons/lib/protocol/request_code');
const MessageDecoder = require('ali-ons/lib/message/message_decoder');
const ConsumeFromWhere = require('ali-ons/lib/consumer/consume_from_where');
// The JSON parser ali-ons itself uses for namesrv answers: Java's fastjson
// writes maps with integer keys unquoted ({0:"127.0.0.1:10911"}).
const JSON2 = require(require.resolve('JSON2', {
  paths: [ path.dirname(require.resolve('ali-ons/package.json')) ],
}));

const CASE_TIMEOUT_MS = Number(process.env.INTEROP_CASE_TIMEOUT_MS || 60000);
const TOTAL_TIMEOUT_MS = Number(process.env.INTEROP_TOTAL_TIMEOUT_MS || 270000);
const BROKER_WAIT_MS = 30000; // broker registration with the namesrv
const ROUTE_WAIT_MS = 15000; // topic route after UPDATE_AND_CREATE_TOPIC
const GRACE_MS = 1500; // after the last expected delivery, to catch duplicates
const CLOSE_TIMEOUT_MS = 10000;
const CLUSTER = 'DefaultCluster';
const BROKER_NAME = 'broker-a';
const QUEUES = 4;
const VERBOSE = !!process.env.INTEROP_VERBOSE;

// ali-ons requires an httpclient; it is only used to look the namesrv up
// from onsAddr, which the test never does (nameSrv is always given).
const HTTP_STUB = {
  request() {
    throw new Error('interop: ali-ons must not use HTTP (nameSrv is set)');
  },
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function sha256(buf) {
  return crypto.createHash('sha256').update(buf || Buffer.alloc(0)).digest('hex');
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([ promise, timeout ]).finally(() => clearTimeout(timer));
}

// "1,2,3 ... (57 in all)": a list for a message, never unbounded.
function brief(list, max = 25) {
  const head = list.slice(0, max).join(',');
  return list.length > max ? `${head} ... (${list.length} in all)` : head;
}

function clip(text, max = 500) {
  return text.length > max ? `${text.slice(0, max)} ...` : text;
}

function errText(err) {
  if (!err) return String(err);
  const code = err.code !== undefined ? ` (code ${err.code})` : '';
  return `${err.name || 'Error'}: ${err.message}${code}`;
}

// A logger for ali-ons (its `logger` option): keeps the last lines in memory,
// printed when a case fails (or live with INTEROP_VERBOSE=1).
class RingLogger {
  constructor(name, max = 3000) {
    this.name = name;
    this.max = max;
    this.lines = [];
    this.counts = new Map();
    for (const level of [ 'debug', 'info', 'warn', 'error' ]) {
      this[level] = (...args) => this.add(level, args);
    }
  }

  add(level, args) {
    const text = util.format(...args.map(a => (a instanceof Error ? errText(a) : a)));
    const line = `${new Date().toISOString()} ${level.toUpperCase()} [${this.name}] ${text}`;
    if (VERBOSE) process.stderr.write(line + '\n');
    if (level === 'debug') return;
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  count(regexp) {
    return this.lines.filter(l => regexp.test(l)).length;
  }

  tail(n, levels = /./) {
    return this.lines.filter(l => levels.test(l)).slice(-n);
  }
}

// Per-case state: deadline, problems found, clients to close.
class CaseContext {
  constructor(name) {
    this.name = name;
    this.started = Date.now();
    this.deadline = this.started + CASE_TIMEOUT_MS;
    this.problems = [];
    this.clients = [];
    this.aborted = false;
    this.log = new RingLogger(name);
  }

  remaining() {
    return this.deadline - Date.now();
  }

  problem(text) {
    this.problems.push(text);
  }

  check(ok, text) {
    if (!ok) this.problem(text);
    return !!ok;
  }

  track(client, label) {
    client.on('error', err => this.log.warn('%s emitted error: %s', label, errText(err)));
    this.clients.push({ client, label, closed: false });
    // A case that timed out may still be running: close what it starts late.
    if (this.aborted) this.close(client);
    return client;
  }

  async close(client) {
    const entry = this.clients.find(e => e.client === client);
    if (!entry || entry.closed) return;
    entry.closed = true;
    try {
      await withTimeout(client.close(), CLOSE_TIMEOUT_MS, `close ${entry.label}`);
    } catch (err) {
      this.log.warn('closing %s failed: %s', entry.label, errText(err));
    }
  }

  async closeAll() {
    // Consumers first (they stop pulling), then producers.
    const consumers = this.clients.filter(e => e.client instanceof Consumer);
    const others = this.clients.filter(e => !(e.client instanceof Consumer));
    await Promise.all(consumers.map(e => this.close(e.client)));
    await Promise.all(others.map(e => this.close(e.client)));
  }

  // Polls cond() until it returns a truthy value; bounded by `timeoutMs` and
  // by the case deadline (minus a margin so the specific message wins).
  async waitFor(what, cond, { timeoutMs = Infinity, intervalMs = 100 } = {}) {
    const start = Date.now();
    const limit = Math.max(0, Math.min(timeoutMs, this.remaining() - 2000));
    const until = start + limit; // at least one try, even past the deadline
    let lastErr = null;
    for (;;) {
      if (this.aborted) throw new Error(`aborted while waiting for ${what}`);
      try {
        const value = await cond();
        if (value) return value;
        lastErr = null;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() >= until) {
        const why = lastErr ? ` (last error: ${errText(lastErr)})` : '';
        const secs = ((Date.now() - start) / 1000).toFixed(1);
        throw new Error(`timed out after ${secs} s waiting for ${what}${why}`);
      }
      await sleep(intervalMs);
    }
  }
}

// ---------------------------------------------------------------------------
// Harness: admin calls through ali-ons' MQClientAPI
// ---------------------------------------------------------------------------

class Harness {
  constructor(nsAddr, expectedBrokerAddr) {
    this.nsAddr = nsAddr;
    this.expectedBrokerAddr = expectedBrokerAddr || null;
    this.runId = crypto.randomBytes(4).toString('hex');
    this.log = new RingLogger('harness');
    this.brokerAddr = null; // master of broker-a, from GET_BROKER_CLUSTER_INFO
    this.admin = null;
  }

  async start() {
    // MQClientAPI is ali-ons' request layer (lib/mq_client_api.js); the
    // Producer/Consumer build on it. Used directly here as the admin client.
    this.admin = new MQClientAPI({
      nameSrv: this.nsAddr,
      httpclient: HTTP_STUB,
      logger: this.log,
      responseTimeout: 5000,
    });
    this.admin.on('error', err => this.log.warn('admin error: %s', errText(err)));
    await withTimeout(this.admin.ready(), 5000, 'admin client start');

    // ali-ons creates one process-wide "CLIENT_INNER_PRODUCER" (used when a
    // CONSUMER_SEND_MSG_BACK fails) from the options of whichever client
    // starts first; create it up front with its own instanceName so it does
    // not share an MQClient with a case's producer or consumer.
    await withTimeout(Producer.getDefaultProducer(this.clientOptions(this.log, `${this.runId}-inner`)),
      5000, 'ali-ons inner producer start');
  }

  async stop() {
    if (this.admin) {
      try {
        await withTimeout(this.admin.close(), 5000, 'admin close');
      } catch (err) {
        this.log.warn('%s', errText(err));
      }
    }
  }

  clientOptions(logger, instanceName, extra) {
    return Object.assign({
      nameSrv: this.nsAddr,
      httpclient: HTTP_STUB,
      logger,
      // Distinct instanceName => distinct clientID and MQClient per client
      // (ali-ons shares one MQClient per clientID, keyed by ip@instanceName).
      instanceName,
      // Faster than the defaults (30 s / 30 s / 10 s / 5 s) so that the
      // %RETRY% route, rebalances and offset commits show up within seconds.
      pollNameServerInteval: 1000,
      heartbeatBrokerInterval: 5000,
      rebalanceInterval: 1000,
      persistConsumerOffsetInterval: 1000,
    }, extra);
  }

  // GET_BROKER_CLUSTER_INFO (106) to the namesrv. ali-ons has no wrapper for
  // it, so the command is built with its RemotingCommand and sent with
  // RemotingClient#invokeForNameSrvAtLeastOnce.
  async clusterInfo() {
    const request = RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_INFO, null);
    const response = await this.admin.invokeForNameSrvAtLeastOnce(request, 3000);
    if (response.code !== 0) {
      const err = new Error(`GET_BROKER_CLUSTER_INFO answered code ${response.code}: ${response.remark}`);
      err.code = response.code;
      throw err;
    }
    const info = response.body && response.body.length ? JSON2.parse(response.body.toString()) : {};
    return {
      brokerAddrTable: info.brokerAddrTable || {},
      clusterAddrTable: info.clusterAddrTable || {},
    };
  }

  static masterOf(info, cluster, brokerName) {
    const names = info.clusterAddrTable[cluster] || [];
    if (!names.includes(brokerName)) return null;
    const data = info.brokerAddrTable[brokerName];
    return (data && data.brokerAddrs && data.brokerAddrs['0']) || null;
  }

  async waitForBroker(t) {
    this.brokerAddr = await t.waitFor(`${BROKER_NAME} (master) to register in ${CLUSTER}`,
      async () => Harness.masterOf(await this.clusterInfo(), CLUSTER, BROKER_NAME),
      { timeoutMs: BROKER_WAIT_MS, intervalMs: 250 });
    return this.brokerAddr;
  }

  // UPDATE_AND_CREATE_TOPIC (17) on every master of the cluster through
  // MQClientAPI#createTopic, with the fields the capture shows, then wait for
  // the namesrv route.
  async createTopic(t, topic) {
    const info = await this.clusterInfo();
    const names = info.clusterAddrTable[CLUSTER] || [];
    const masters = names.map(n => Harness.masterOf(info, CLUSTER, n)).filter(Boolean);
    if (!masters.length) throw new Error(`no master in ${CLUSTER} to create topic ${topic} on`);
    for (const addr of masters) {
      await this.admin.createTopic(addr, 'TBW102', {
        topicName: topic,
        readQueueNums: QUEUES,
        writeQueueNums: QUEUES,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      }, 5000);
    }
    return this.waitForRoute(t, topic, ROUTE_WAIT_MS);
  }

  // Polls GET_ROUTEINFO_BY_TOPIC until broker-a serves QUEUES read and write
  // queues with read+write permission and has a master address.
  async waitForRoute(t, topic, timeoutMs) {
    return t.waitFor(`a namesrv route for ${topic}`, async () => {
      const route = await this.admin.getTopicRouteInfoFromNameServer(topic, 3000);
      if (!route) return null;
      const qd = (route.queueDatas || []).find(q => q.brokerName === BROKER_NAME);
      const bd = (route.brokerDatas || []).find(b => b.brokerName === BROKER_NAME);
      if (!qd || !bd || !bd.brokerAddrs || !bd.brokerAddrs['0']) return null;
      if (qd.readQueueNums !== QUEUES || qd.writeQueueNums !== QUEUES || (qd.perm & 6) !== 6) return null;
      return route;
    }, { timeoutMs, intervalMs: 200 });
  }

  names(tag) {
    return {
      topic: `interop_${tag}_${this.runId}`,
      group: `GID_interop_${tag}_${this.runId}`,
      producerGroup: `PID_interop_${tag}_${this.runId}`,
      instance: `${this.runId}-${tag}`,
    };
  }

  async startProducer(t, n) {
    const producer = t.track(new Producer(this.clientOptions(t.log, `${n.instance}-p`, {
      producerGroup: n.producerGroup,
    })), 'producer');
    await withTimeout(producer.ready(), 10000, 'producer start');
    return producer;
  }

  // Starts a push consumer subscribed to `topic` with `handler`.
  async startConsumer(t, n, suffix, extra, topic, handler) {
    const consumer = t.track(new Consumer(this.clientOptions(t.log, `${n.instance}-${suffix}`,
      Object.assign({ consumerGroup: n.group }, extra))), `consumer ${suffix}`);
    consumer.subscribe(topic, '*', handler);
    await withTimeout(consumer.ready(), 10000, `consumer ${suffix} start`);
    return consumer;
  }
}

// Queue ids of `topic` the consumer currently pulls (public getter
// MQPushConsumer#processQueueTable, filled by its rebalance).
function ownedQueueIds(consumer, topic) {
  const ids = [];
  for (const entry of consumer.processQueueTable.values()) {
    if (entry.messageQueue.topic === topic) ids.push(entry.messageQueue.queueId);
  }
  return ids.sort((a, b) => a - b);
}

// What the test records about a delivered message.
function delivery(msg, mq) {
  const body = msg.body || Buffer.alloc(0);
  return {
    seq: msg.properties.hSeq,
    topic: msg.topic,
    tags: msg.tags,
    keys: msg.keys,
    properties: Object.assign({}, msg.properties),
    msgId: msg.msgId,
    queueId: msg.queueId,
    queueOffset: msg.queueOffset,
    reconsumeTimes: msg.reconsumeTimes,
    bodyLength: body.length,
    bodySha: sha256(body),
    // ali-ons calls the user handler as handler(msg, mq, pq) for messages of
    // a subscribed topic, but as handler(msg) from its %RETRY% wrapper
    // (lib/consumer/mq_push_consumer.js:134-147).
    viaRetryWrapper: mq === undefined,
    mqTopic: mq ? mq.topic : null,
    at: Date.now(),
  };
}

function countBy(list, key) {
  const m = new Map();
  for (const x of list) m.set(x[key], (m.get(x[key]) || 0) + 1);
  return m;
}

// Sends one message; returns what the test expects to receive back.
// delayLevel sets Message#delayTimeLevel (property DELAY, which the broker
// strips on delivery, so it is not among the expected properties).
async function sendOne(producer, topic, { seq, tag, body, keys, props, shardingKey, delayLevel }) {
  const sha = sha256(body);
  const msg = new Message(topic, tag, body);
  msg.keys = keys;
  Object.assign(msg.properties, props, { hSeq: String(seq), hSize: String(body.length), hSha: sha });
  if (shardingKey !== undefined) msg.shardingKey = shardingKey;
  const expectedProps = Object.assign({}, msg.properties); // before ali-ons touches msg
  if (delayLevel !== undefined) msg.delayTimeLevel = delayLevel;
  const sendStart = Date.now();
  const res = await producer.send(msg); // may replace msg.body by its deflated form
  const sendEnd = Date.now();
  return {
    sendStart,
    sendEnd,
    delayLevel,
    seq: String(seq),
    tag,
    keys: keys.join(' '),
    props: expectedProps,
    size: body.length,
    sha,
    sendStatus: res.sendStatus,
    msgId: res.msgId,
    // ali-ons passes the answer's queueId through as is (a string when the
    // broker writes extFields as strings, as Java does); queueOffset it
    // converts with Number() (mq_client_api.js:484-492).
    queueId: Number(res.messageQueue.queueId),
    queueOffset: res.queueOffset,
  };
}

// Compares one delivery with what was sent; returns a list of differences.
function compareDelivery(topic, sent, got, { checkIds = true, reconsumeTimes = 0 } = {}) {
  const diffs = [];
  const want = (name, a, b) => {
    if (a !== b) diffs.push(`${name}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`);
  };
  want('topic', got.topic, topic);
  want('tags', got.tags, sent.tag);
  want('keys', got.keys, sent.keys);
  want('body length', got.bodyLength, sent.size);
  want('body sha256', got.bodySha, sent.sha);
  want('reconsumeTimes', got.reconsumeTimes, reconsumeTimes);
  for (const [ k, v ] of Object.entries(sent.props)) want(`property ${k}`, got.properties[k], v);
  if (checkIds) {
    want('msgId', got.msgId, sent.msgId);
    want('queueId', got.queueId, sent.queueId);
    want('queueOffset', got.queueOffset, sent.queueOffset);
  }
  return diffs;
}

// Deliveries must hold each sent seq exactly once, nothing else.
function checkExactlyOnce(t, label, sentList, got) {
  const counts = countBy(got, 'seq');
  const sentSeqs = new Set(sentList.map(s => s.seq));
  const missing = sentList.filter(s => !counts.has(s.seq)).map(s => s.seq);
  const dups = [ ...counts ].filter(([ seq, c ]) => c > 1 && sentSeqs.has(seq)).map(([ seq, c ]) => `${seq}x${c}`);
  const strangers = [ ...counts.keys() ].filter(seq => !sentSeqs.has(seq));
  t.check(!missing.length, `${label}: ${missing.length} message(s) never delivered, seq ${brief(missing, 10)}`);
  t.check(!dups.length, `${label}: ${dups.length} message(s) delivered more than once: ${brief(dups, 10)}`);
  t.check(!strangers.length, `${label}: ${strangers.length} unexpected message(s), seq ${brief(strangers, 10)}`);
}

// Java producers put a unique id in property UNIQ_KEY (MessageClientIDSetter:
// 32 upper-case hex digits) and report it as the msgId; ali-ons sets none and
// reports the broker's offset msgId instead. The cases that follow a message
// through a stored copy (delay, retry) set one themselves, the way a Java
// producer would, to check that the broker carries it over.
function uniqKey() {
  return crypto.randomBytes(16).toString('hex').toUpperCase();
}

// With freshOffsets, the sends were the first on a fresh topic, so per queue
// the offsets must be 0, 1, 2, ...
function checkSendResults(t, h, sentList, { freshOffsets = true } = {}) {
  for (const s of sentList) {
    if (!t.check(s.sendStatus === 'SEND_OK', `send seq ${s.seq}: status ${s.sendStatus}`)) break;
    if (!t.check(Number.isInteger(s.queueId) && s.queueId >= 0 && s.queueId < QUEUES &&
      Number.isInteger(s.queueOffset), `send seq ${s.seq}: queueId ${s.queueId} / queueOffset ${s.queueOffset} invalid`)) break;
    if (!t.check(/^[0-9A-F]{32}$/.test(String(s.msgId)), `send seq ${s.seq}: msgId ${s.msgId} is not 32 upper-case hex digits`)) break;
    const addr = MessageDecoder.decodeMessageId(s.msgId).address;
    if (!t.check(addr === h.brokerAddr, `send seq ${s.seq}: msgId ${s.msgId} encodes ${addr}, broker is ${h.brokerAddr}`)) break;
  }
  // A fresh topic: per queue, the offsets are 0, 1, 2, ... in send order.
  const next = new Map();
  for (const s of freshOffsets ? sentList : []) {
    const want = next.get(s.queueId) || 0;
    if (!t.check(s.queueOffset === want, `send seq ${s.seq}: queue ${s.queueId} offset ${s.queueOffset}, want ${want}`)) break;
    next.set(s.queueId, want + 1);
  }
  return next; // queueId -> messages sent to it
}

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

// Sizes for (a): edges (both sides of 4 KiB, of 64 KiB, 128 KiB, 256 KiB),
// each with random and with patterned content, then log-uniform sizes.
const MAX_BODY = 256 * 1024;
const EDGE_SIZES = [ 1, 2, 255, 1023, 1024, 4095, 4096, 4097, 8192, 65535, 65536, 131072, MAX_BODY - 1, MAX_BODY ];

function roundtripBodies(count) {
  const plan = [];
  for (const size of EDGE_SIZES) plan.push({ size, random: true }, { size, random: false });
  while (plan.length < count) {
    const size = Math.max(1, Math.min(MAX_BODY, Math.round(Math.exp(Math.random() * Math.log(MAX_BODY)))));
    plan.push({ size, random: plan.length % 2 === 0 });
  }
  // Shuffle so that sizes are mixed within every queue and every pull.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ plan[i], plan[j] ] = [ plan[j], plan[i] ];
  }
  return plan;
}

function makeBody(seq, size, random) {
  if (random) return crypto.randomBytes(size); // incompressible
  const pattern = Buffer.from(`seq=${seq};héllo-世界;`, 'utf8'); // compressible
  const body = Buffer.alloc(size);
  for (let off = 0; off < size; off += pattern.length) pattern.copy(body, off, 0, Math.min(pattern.length, size - off));
  return body;
}

function userProps(h, seq) {
  return {
    hRunId: h.runId,
    hUtf8: `héllo-世界-✓-${seq}`,
    hEmoji: `🚀💾-${seq}`,
    hAscii: `plain value ${seq}`,
  };
}

async function caseRoundtrip(h, t) {
  const COUNT = 200;
  const n = h.names('a');
  await h.createTopic(t, n.topic);

  const producer = await h.startProducer(t, n);
  const sent = [];
  const plan = roundtripBodies(COUNT);
  for (let seq = 0; seq < COUNT; seq++) {
    const body = makeBody(seq, plan[seq].size, plan[seq].random);
    sent.push(await sendOne(producer, n.topic, {
      seq,
      tag: `Tag${'ABC'[seq % 3]}`,
      body,
      keys: [ `k-${h.runId}-${seq}`, `ключ-${seq}` ],
      props: userProps(h, seq),
    }));
  }
  const perQueue = checkSendResults(t, h, sent);
  await t.close(producer);

  // A fresh group started after the sends: with ali-ons' default
  // CONSUME_FROM_LAST_OFFSET it would start at GET_MAX_OFFSET (or at what
  // QUERY_CONSUMER_OFFSET answers), so ask for the first offset explicitly
  // (mq_push_consumer.js:706-713: no committed offset => 0).
  const got = [];
  const consumer = await h.startConsumer(t, n, 'c', {
    consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
  }, n.topic, async (msg, mq) => {
    got.push(delivery(msg, mq));
  });
  try {
    await t.waitFor(`${COUNT} messages to be consumed`, () => new Set(got.map(g => g.seq)).size >= COUNT);
  } catch (err) {
    t.problem(`${err.message}; got ${new Set(got.map(g => g.seq)).size}`);
  }
  await sleep(GRACE_MS);

  checkExactlyOnce(t, 'roundtrip', sent, got);
  const bySeq = new Map(sent.map(s => [ s.seq, s ]));
  let bad = 0;
  for (const g of got) {
    const s = bySeq.get(g.seq);
    if (!s) continue;
    const diffs = compareDelivery(n.topic, s, g);
    if (diffs.length && ++bad <= 5) t.problem(`seq ${g.seq} (${s.size} B): ${diffs.join('; ')}`);
  }
  t.check(bad <= 5, `... ${bad - 5} more message(s) differ`);

  // Committed offsets read back (QUERY_CONSUMER_OFFSET via MQClientAPI).
  // ali-ons commits every second and on close.
  await t.close(consumer);
  const want = [ ...perQueue ].sort((a, b) => a[0] - b[0]);
  try {
    await t.waitFor('committed offsets = messages per queue', async () => {
      for (const [ queueId, count ] of want) {
        const offset = await h.admin.queryConsumerOffset(h.brokerAddr,
          { topic: n.topic, consumerGroup: n.group, queueId }, 3000);
        if (offset !== count) throw new Error(`queue ${queueId}: committed ${offset}, want ${count}`);
      }
      return true;
    }, { timeoutMs: 10000, intervalMs: 500 });
  } catch (err) {
    t.problem(err.message);
  }

  const sizes = sent.map(s => s.size);
  const compressed = sent.filter(s => s.size >= 4096).length;
  return `${COUNT} messages, ${Math.min(...sizes)} B..${Math.max(...sizes)} B ` +
    `(${compressed} at/over the 4 KiB compression threshold), ${got.length} deliveries, ` +
    `queues ${want.map(([ q, c ]) => `${q}:${c}`).join(' ')}`;
}

// ali-ons (lib/producer/topic_publish_info.js:30-62) maps a sharding key to
// queueIds[md5(key).readUInt32BE(0) % queueIds.length]. A key that maps to
// queue 0 is not pinned at all (`queueIds[i] || ''` turns 0 into "no queue"
// and falls back to round robin), so the keys used here map to 1, 2 and 3.
function shardingQueue(key) {
  return crypto.createHash('md5').update(key).digest().readUInt32BE(0) % QUEUES;
}

function pickShardingKeys(h, count) {
  const keys = [];
  const used = new Set([ 0 ]);
  for (let i = 0; keys.length < count && i < 10000; i++) {
    const key = `order-${h.runId}-${i}`;
    const q = shardingQueue(key);
    if (!used.has(q)) {
      used.add(q);
      keys.push(key);
    }
  }
  return keys;
}

async function caseSharding(h, t) {
  const KEYS = 3;
  const PER_KEY = 20;
  const n = h.names('b');
  await h.createTopic(t, n.topic);

  const got = [];
  const consumer = await h.startConsumer(t, n, 'c', {
    consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
  }, n.topic, async (msg, mq) => {
    got.push(delivery(msg, mq));
  });
  await t.waitFor(`the consumer to own all ${QUEUES} queues`, () => ownedQueueIds(consumer, n.topic).length === QUEUES);

  const producer = await h.startProducer(t, n);
  const keys = pickShardingKeys(h, KEYS);
  const sent = [];
  let seq = 0;
  for (let j = 0; j < PER_KEY; j++) {
    for (const key of keys) {
      const s = await sendOne(producer, n.topic, {
        seq: seq++,
        tag: 'TagOrder',
        body: Buffer.from(`${key} #${j} ${'x'.repeat(j * 10)}`),
        keys: [ `${key}-${j}` ],
        props: { hKey: key, hJ: String(j) },
        shardingKey: key,
      });
      s.key = key;
      s.j = j;
      sent.push(s);
    }
  }
  checkSendResults(t, h, sent);

  try {
    await t.waitFor(`${sent.length} messages to be consumed`, () => new Set(got.map(g => g.seq)).size >= sent.length);
  } catch (err) {
    t.problem(`${err.message}; got ${new Set(got.map(g => g.seq)).size}`);
  }
  await sleep(GRACE_MS);

  checkExactlyOnce(t, 'sharding', sent, got);
  const placement = [];
  for (const key of keys) {
    const mine = sent.filter(s => s.key === key);
    const queues = [ ...new Set(mine.map(s => s.queueId)) ];
    t.check(queues.length === 1, `key ${key}: sent to queues ${brief(queues)}, want one queue`);
    t.check(queues[0] === shardingQueue(key), `key ${key}: sent to queue ${queues[0]}, ali-ons' selector says ${shardingQueue(key)}`);
    placement.push(`${key.split('-').pop()}->q${queues.join(',')}`);

    const order = got.filter(g => g.properties.hKey === key);
    const js = order.map(g => Number(g.properties.hJ));
    const inOrder = js.length === PER_KEY && js.every((v, i) => v === i);
    t.check(inOrder, `key ${key}: consumed in order ${brief(js)}, want 0..${PER_KEY - 1}`);
    const offsets = order.map(g => g.queueOffset);
    t.check(offsets.every((o, i) => i === 0 || o > offsets[i - 1]), `key ${key}: queue offsets not increasing: ${brief(offsets)}`);
  }
  const bySeq = new Map(sent.map(s => [ s.seq, s ]));
  for (const g of got) {
    const s = bySeq.get(g.seq);
    const diffs = s ? compareDelivery(n.topic, s, g) : [];
    if (diffs.length) {
      t.problem(`seq ${g.seq}: ${diffs.join('; ')}`);
      break;
    }
  }
  return `${KEYS} keys x ${PER_KEY} messages (${placement.join(' ')}), consumed in order`;
}

async function caseRetry(h, t) {
  const n = h.names('c');
  await h.createTopic(t, n.topic);

  const producer = await h.startProducer(t, n);
  const sent = [];
  for (let seq = 0; seq < 3; seq++) {
    sent.push(await sendOne(producer, n.topic, {
      seq,
      tag: 'TagRetry',
      body: makeBody(seq, seq === 1 ? 5000 : 100, seq === 1), // the failing one is compressed
      keys: [ `retry-${h.runId}-${seq}` ],
      props: Object.assign(userProps(h, seq), { hFail: seq === 1 ? 'once' : 'no' }),
    }));
  }
  checkSendResults(t, h, sent);
  const failing = sent[1];

  const got = [];
  await h.startConsumer(t, n, 'c', {
    consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
  }, n.topic, async (msg, mq) => {
    const d = delivery(msg, mq);
    got.push(d);
    if (d.properties.hFail === 'once' && d.reconsumeTimes === 0) {
      throw new Error('interop: intentional failure, expect a redelivery');
    }
  });

  // ali-ons' %RETRY% wrapper finds the handler through the RETRY_TOPIC
  // property; without it the copy is logged as "retry message no handler"
  // and acknowledged, so stop waiting at once.
  const dropped = () => t.log.count(/retry message no handler/) > 0;
  try {
    await t.waitFor('the failed message to come back through the retry topic', () => dropped() || (
      got.some(g => g.seq === failing.seq && g.reconsumeTimes > 0) &&
      got.some(g => g.seq === '0') && got.some(g => g.seq === '2')));
  } catch (err) {
    t.problem(err.message);
  }
  t.check(!dropped(), 'ali-ons dropped a message from %RETRY%: "retry message no handler" (no RETRY_TOPIC property?)');
  await sleep(GRACE_MS);

  for (const s of [ sent[0], sent[2] ]) {
    const mine = got.filter(g => g.seq === s.seq);
    t.check(mine.length === 1, `seq ${s.seq}: ${mine.length} deliveries, want 1`);
    if (mine.length) {
      const diffs = compareDelivery(n.topic, s, mine[0]);
      t.check(!diffs.length, `seq ${s.seq}: ${diffs.join('; ')}`);
    }
  }
  const mine = got.filter(g => g.seq === failing.seq);
  t.check(mine.length === 2, `failed message: ${mine.length} deliveries (reconsumeTimes ${brief(mine.map(g => g.reconsumeTimes))}), want 2`);
  const [ first, again ] = mine;
  if (first) {
    const diffs = compareDelivery(n.topic, failing, first);
    t.check(!diffs.length, `first delivery: ${diffs.join('; ')}`);
    t.check(!first.viaRetryWrapper, `first delivery came through the %RETRY% subscription`);
  }
  if (again) {
    const diffs = compareDelivery(n.topic, failing, again, { checkIds: false, reconsumeTimes: 1 });
    t.check(!diffs.length, `redelivery: ${diffs.join('; ')}`);
    t.check(again.viaRetryWrapper, `redelivery came from ${again.mqTopic}, not from %RETRY%${n.group}`);
    t.check(again.properties.RETRY_TOPIC === n.topic, `redelivery: RETRY_TOPIC ${again.properties.RETRY_TOPIC}, want ${n.topic}`);
    t.check(again.properties.ORIGIN_MESSAGE_ID === failing.msgId,
      `redelivery: ORIGIN_MESSAGE_ID ${again.properties.ORIGIN_MESSAGE_ID}, want ${failing.msgId}`);
    t.check(again.msgId !== failing.msgId, `redelivery has the original msgId ${again.msgId} (local retry, not a stored copy?)`);
  }
  // ali-ons logs this line (mq_push_consumer.js:780) only when the broker
  // accepted CONSUMER_SEND_MSG_BACK; otherwise it re-sends the message itself.
  const sendBacks = t.log.count(/consumerSendMessageBack success/);
  t.check(sendBacks === 1, `CONSUMER_SEND_MSG_BACK succeeded ${sendBacks} time(s), want 1`);
  try {
    const max = await h.admin.getMaxOffset(h.brokerAddr, `%RETRY%${n.group}`, 0, 3000);
    t.check(max >= 1, `GET_MAX_OFFSET %RETRY%${n.group} queue 0 = ${max}, want >= 1`);
  } catch (err) {
    t.problem(`GET_MAX_OFFSET %RETRY%${n.group}: ${errText(err)}`);
  }
  const delay = first && again ? ` after ${((again.at - first.at) / 1000).toFixed(1)} s` : '';
  return `message ${failing.msgId} failed once, came back from %RETRY%${n.group} with reconsumeTimes 1${delay}`;
}

async function caseBroadcast(h, t) {
  const OLD = 4;
  const NEW = 20;
  const n = h.names('d');
  await h.createTopic(t, n.topic);

  const producer = await h.startProducer(t, n);
  const old = [];
  for (let seq = 0; seq < OLD; seq++) {
    old.push(await sendOne(producer, n.topic, {
      seq: `old-${seq}`, tag: 'TagOld', body: Buffer.from(`old ${seq}`), keys: [ `old-${seq}` ], props: {},
    }));
  }

  const consumers = [];
  const got = [ [], [] ];
  for (const i of [ 0, 1 ]) {
    consumers.push(await h.startConsumer(t, n, `bc${i}`, { isBroadcast: true }, n.topic, async (msg, mq) => {
      got[i].push(delivery(msg, mq));
    }));
  }
  await t.waitFor(`both broadcasting consumers to own all ${QUEUES} queues`,
    () => consumers.every(c => ownedQueueIds(c, n.topic).length === QUEUES));

  const sent = [];
  for (let seq = 0; seq < NEW; seq++) {
    sent.push(await sendOne(producer, n.topic, {
      seq, tag: 'TagBc', body: makeBody(seq, 50 + seq * 300, false), keys: [ `bc-${seq}` ], props: userProps(h, seq),
    }));
  }
  checkSendResults(t, h, old.concat(sent));

  try {
    await t.waitFor(`each consumer to receive ${NEW} messages`,
      () => got.every(list => new Set(list.map(g => g.seq)).size >= NEW));
  } catch (err) {
    t.problem(`${err.message}; got ${got.map(list => new Set(list.map(g => g.seq)).size).join(' and ')}`);
  }
  await sleep(GRACE_MS);

  for (const i of [ 0, 1 ]) {
    const olds = got[i].filter(g => String(g.seq).startsWith('old-'));
    t.check(!olds.length, `consumer bc${i} received ${olds.length} message(s) sent before it started (CONSUME_FROM_LAST_OFFSET => GET_MAX_OFFSET)`);
    const fresh = got[i].filter(g => !String(g.seq).startsWith('old-'));
    checkExactlyOnce(t, `consumer bc${i}`, sent, fresh);
    const bySeq = new Map(sent.map(s => [ s.seq, s ]));
    for (const g of fresh) {
      const s = bySeq.get(g.seq);
      const diffs = s ? compareDelivery(n.topic, s, g) : [];
      if (diffs.length) {
        t.problem(`consumer bc${i} seq ${g.seq}: ${diffs.join('; ')}`);
        break;
      }
    }
  }
  return `${NEW} messages each to 2 broadcasting consumers (${got[0].length} + ${got[1].length} deliveries), ${OLD} older ones skipped`;
}

async function caseRebalance(h, t) {
  const COUNT = 40;
  const n = h.names('e');
  await h.createTopic(t, n.topic);

  const consumers = [];
  const got = [ [], [] ];
  for (const i of [ 0, 1 ]) {
    consumers.push(await h.startConsumer(t, n, `c${i}`, {
      consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    }, n.topic, async (msg, mq) => {
      got[i].push(delivery(msg, mq));
    }));
  }

  // ali-ons ignores NOTIFY_CONSUMER_IDS_CHANGED; each consumer rebalances
  // every rebalanceInterval (1 s here). Wait for a split that holds for three
  // polls in a row.
  let stable = 0;
  let lastKey = '';
  let split = null;
  try {
    split = await t.waitFor('the two consumers to split the queues', () => {
      const sets = consumers.map(c => ownedQueueIds(c, n.topic));
      const key = JSON.stringify(sets);
      stable = key === lastKey ? stable + 1 : 0;
      lastKey = key;
      const all = sets[0].concat(sets[1]);
      const ok = sets[0].length && sets[1].length && all.length === QUEUES && new Set(all).size === QUEUES;
      return ok && stable >= 3 ? sets : null;
    }, { intervalMs: 500 });
  } catch (err) {
    throw new Error(`${err.message}; last allocation ${lastKey}`);
  }

  const ids = await h.admin.getConsumerIdListByGroup(h.brokerAddr, n.group, 3000);
  for (const c of consumers) {
    t.check((ids || []).includes(c.clientId), `GET_CONSUMER_LIST_BY_GROUP ${JSON.stringify(ids)} lacks ${c.clientId}`);
  }

  const producer = await h.startProducer(t, n);
  const sent = [];
  for (let seq = 0; seq < COUNT; seq++) {
    sent.push(await sendOne(producer, n.topic, {
      seq, tag: 'TagRb', body: Buffer.from(`rebalance ${seq}`), keys: [ `rb-${seq}` ], props: userProps(h, seq),
    }));
  }
  checkSendResults(t, h, sent);

  const all = () => got[0].concat(got[1]);
  try {
    await t.waitFor(`${COUNT} messages to be consumed`, () => new Set(all().map(g => g.seq)).size >= COUNT);
  } catch (err) {
    t.problem(`${err.message}; got ${new Set(all().map(g => g.seq)).size}`);
  }
  await sleep(GRACE_MS);

  checkExactlyOnce(t, 'group', sent, all());
  for (const i of [ 0, 1 ]) {
    const foreign = got[i].filter(g => !split[i].includes(g.queueId));
    t.check(!foreign.length, `consumer c${i} owns queues ${split[i].join(',')} but got messages from queue(s) ${[ ...new Set(foreign.map(g => g.queueId)) ].join(',')}`);
    t.check(got[i].length > 0, `consumer c${i} received nothing`);
  }
  const bySeq = new Map(sent.map(s => [ s.seq, s ]));
  for (const g of all()) {
    const s = bySeq.get(g.seq);
    const diffs = s ? compareDelivery(n.topic, s, g) : [];
    if (diffs.length) {
      t.problem(`seq ${g.seq}: ${diffs.join('; ')}`);
      break;
    }
  }
  return `queues ${split[0].join(',')} | ${split[1].join(',')}, ${got[0].length} + ${got[1].length} of ${COUNT} messages`;
}

// The broker's default messageDelayLevel is "1s 5s 10s 30s 1m 2m ...".
const DELAY_LEVEL_MS = { 1: 1000, 2: 5000, 3: 10000 };
const DELAY_LATE_MS = 3000; // how late a delayed delivery may be (loaded CI machine)
const RETRY_FIRST_DELAY_MS = DELAY_LEVEL_MS[3]; // CONSUMER_SEND_MSG_BACK delayLevel 0 => 3 + reconsumeTimes 0

// Checks one delivery's time against its delay. The broker delivers at store
// time + delay by its clock, and the store time is after the send started, so
// an arrival earlier than sendStart + delay is a bug (no tolerance); it may
// be up to DELAY_LATE_MS later than the delay after the send returned.
function checkDelayTiming(t, label, s, g, delayMs) {
  const sinceStart = g.at - s.sendStart;
  const sinceEnd = g.at - s.sendEnd;
  t.check(sinceStart >= delayMs, `${label}: arrived ${sinceStart} ms after the send started, before its ${delayMs} ms delay`);
  t.check(sinceEnd <= delayMs + DELAY_LATE_MS,
    `${label}: arrived ${sinceEnd} ms after the send returned, more than ${delayMs} + ${DELAY_LATE_MS} ms`);
  return sinceEnd;
}

async function caseDelay(h, t) {
  const n = h.names('f');
  await h.createTopic(t, n.topic);

  // The consumer first, rebalanced onto all queues, so that each arrival
  // time is the broker's delivery time plus a long-poll wake-up.
  const got = [];
  const consumer = await h.startConsumer(t, n, 'c', {
    consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
  }, n.topic, async (msg, mq) => {
    got.push(delivery(msg, mq));
  });
  await t.waitFor(`the consumer to own all ${QUEUES} queues`, () => ownedQueueIds(consumer, n.topic).length === QUEUES);

  // A control message without delay, then one per level (longest first, so
  // the case ends as early as possible).
  const producer = await h.startProducer(t, n);
  const plan = [ undefined, 3, 2, 1 ];
  const sent = [];
  for (const [ seq, level ] of plan.entries()) {
    sent.push(await sendOne(producer, n.topic, {
      seq,
      tag: level ? `TagDelay${level}` : 'TagNow',
      body: makeBody(seq, seq === 1 ? 6000 : 200, seq === 1), // level 3 compressed
      keys: [ `delay-${h.runId}-${seq}`, `ключ-${seq}` ],
      props: Object.assign(userProps(h, seq), { UNIQ_KEY: uniqKey(), hLevel: String(level || 0) }),
      delayLevel: level,
    }));
  }
  // The delayed sends are stored in SCHEDULE_TOPIC_XXXX (queue level - 1):
  // their queueOffset is that queue's, not the topic's.
  checkSendResults(t, h, sent.filter(s => !s.delayLevel));
  checkSendResults(t, h, sent.filter(s => s.delayLevel), { freshOffsets: false });

  const lastDue = Math.max(...sent.map(s => s.sendEnd + (DELAY_LEVEL_MS[s.delayLevel] || 0)));
  try {
    await t.waitFor(`${sent.length} messages to be delivered`, () => new Set(got.map(g => g.seq)).size >= sent.length,
      { timeoutMs: lastDue + DELAY_LATE_MS + 2000 - Date.now() });
  } catch (err) {
    t.problem(`${err.message}; got seq ${brief(got.map(g => g.seq))}`);
  }
  await sleep(GRACE_MS);

  checkExactlyOnce(t, 'delay', sent, got);
  const timings = [];
  for (const s of sent) {
    const g = got.find(x => x.seq === s.seq);
    if (!g) continue;
    const label = s.delayLevel ? `level ${s.delayLevel}` : 'control';
    // ali-ons' msgId is the offset msgId of the stored record: for a delayed
    // message the send reports the SCHEDULE_TOPIC_XXXX record, the consumer
    // gets the copy in the real topic. UNIQ_KEY (a property) must survive.
    const diffs = compareDelivery(n.topic, s, g, { checkIds: !s.delayLevel });
    t.check(!diffs.length, `${label}: ${diffs.join('; ')}`);
    t.check(!g.viaRetryWrapper, `${label}: came through the %RETRY% subscription`);
    const delayMs = DELAY_LEVEL_MS[s.delayLevel] || 0;
    const ms = checkDelayTiming(t, label, s, g, delayMs);
    timings.push(`${label} ${(ms / 1000).toFixed(2)} s`);
    if (!s.delayLevel) continue;
    t.check(g.queueId === s.queueId, `${label}: delivered to queue ${g.queueId}, sent to ${s.queueId}`);
    t.check(g.properties.DELAY === undefined, `${label}: delivered with property DELAY=${g.properties.DELAY}`);
    t.check(g.properties.REAL_TOPIC === n.topic, `${label}: REAL_TOPIC ${g.properties.REAL_TOPIC}, want ${n.topic}`);
    t.check(g.properties.REAL_QID === String(s.queueId), `${label}: REAL_QID ${g.properties.REAL_QID}, want ${s.queueId}`);
    t.check(g.properties.WAIT === 'false', `${label}: WAIT ${g.properties.WAIT}, want false`);
    const addr = /^[0-9A-F]{32}$/.test(String(g.msgId)) ? MessageDecoder.decodeMessageId(g.msgId).address : null;
    t.check(addr === h.brokerAddr, `${label}: delivered msgId ${g.msgId} does not encode the broker ${h.brokerAddr}`);
  }
  return `${sent.length} messages (no delay, levels 3, 2, 1) arrived ${timings.join(', ')} after their send returned`;
}

async function caseRetryTiming(h, t) {
  // A group of its own (runId in the name), so %RETRY%<group> does not exist
  // before this consumer's first heartbeat creates it.
  const n = h.names('g');
  const retryTopic = `%RETRY%${n.group}`;
  await h.createTopic(t, n.topic);

  const got = [];
  let failedAt = null;
  // pollNameServerInteval at ali-ons' default (30 s), not the harness' 1 s:
  // ali-ons looks up the route of the %RETRY% subscription it adds at start
  // once, right after its first heartbeat has been answered (MQClient#init
  // heartbeats; MQPushConsumer#init then subscribes the retry topic, and
  // subscribe() calls updateAllTopicRouterInfo when the topic has no route
  // yet), and afterwards only every pollNameServerInteval. So the consumer
  // pulls the retry queue within the 10 s of the first redelivery only if
  // the broker registered the new retry topic with the namesrv before it
  // answered that heartbeat.
  const consumer = await h.startConsumer(t, n, 'c', {
    consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    pollNameServerInteval: 30000,
  }, n.topic, async (msg, mq) => {
    const d = delivery(msg, mq);
    got.push(d);
    if (d.reconsumeTimes === 0 && failedAt === null) {
      failedAt = Date.now();
      throw new Error('interop: intentional failure, expect a redelivery after 10 s');
    }
  });
  const readyAt = Date.now();

  // consumer.ready() resolved after its first heartbeat was answered, so the
  // namesrv must know the retry topic already.
  try {
    const route = await h.admin.getTopicRouteInfoFromNameServer(retryTopic, 3000);
    const qd = route && (route.queueDatas || []).find(q => q.brokerName === BROKER_NAME);
    t.check(qd && qd.readQueueNums >= 1, `namesrv route for ${retryTopic} right after the consumer started has no readable queue on ${BROKER_NAME}: ${JSON.stringify(route)}`);
  } catch (err) {
    t.problem(`namesrv has no route for ${retryTopic} right after the consumer started (its first heartbeat was answered): ${errText(err)}`);
  }
  try {
    await t.waitFor(`the consumer to own ${retryTopic} and all ${QUEUES} queues of the topic`,
      () => ownedQueueIds(consumer, retryTopic).length > 0 && ownedQueueIds(consumer, n.topic).length === QUEUES,
      { timeoutMs: 8000 });
  } catch (err) {
    throw new Error(`${err.message} (ali-ons looks the retry route up once at start, then every 30 s)`);
  }
  const ownedAfter = Date.now() - readyAt;

  const producer = await h.startProducer(t, n);
  const s = await sendOne(producer, n.topic, {
    seq: 0,
    tag: 'TagRetryTiming',
    body: makeBody(0, 300, true),
    keys: [ `retry-timing-${h.runId}` ],
    props: Object.assign(userProps(h, 0), { UNIQ_KEY: uniqKey() }),
  });
  checkSendResults(t, h, [ s ]);

  const dropped = () => t.log.count(/retry message no handler/) > 0;
  try {
    await t.waitFor('the failed message to come back through the retry topic',
      () => dropped() || got.some(g => g.reconsumeTimes > 0),
      { timeoutMs: RETRY_FIRST_DELAY_MS + DELAY_LATE_MS + 5000 });
  } catch (err) {
    t.problem(`${err.message}; ${got.length} deliveries, first failed ${failedAt ? `${Date.now() - failedAt} ms ago` : 'never'}`);
  }
  t.check(!dropped(), 'ali-ons dropped a message from %RETRY%: "retry message no handler" (no RETRY_TOPIC property?)');
  await sleep(GRACE_MS);

  t.check(got.length === 2, `${got.length} deliveries (reconsumeTimes ${brief(got.map(g => g.reconsumeTimes))}), want 2`);
  const [ first, again ] = got;
  if (first) {
    const diffs = compareDelivery(n.topic, s, first);
    t.check(!diffs.length, `first delivery: ${diffs.join('; ')}`);
    t.check(!first.viaRetryWrapper, 'first delivery came through the %RETRY% subscription');
  }
  let dt = null;
  if (again) {
    // Same message: body, tags, keys, user properties and UNIQ_KEY (all in
    // compareDelivery), ORIGIN_MESSAGE_ID = the offset msgId the send reported.
    const diffs = compareDelivery(n.topic, s, again, { checkIds: false, reconsumeTimes: 1 });
    t.check(!diffs.length, `redelivery: ${diffs.join('; ')}`);
    t.check(again.viaRetryWrapper, `redelivery came from ${again.mqTopic}, not from ${retryTopic}`);
    t.check(again.properties.RETRY_TOPIC === n.topic, `redelivery: RETRY_TOPIC ${again.properties.RETRY_TOPIC}, want ${n.topic}`);
    t.check(again.properties.ORIGIN_MESSAGE_ID === s.msgId,
      `redelivery: ORIGIN_MESSAGE_ID ${again.properties.ORIGIN_MESSAGE_ID}, want ${s.msgId}`);
    if (failedAt !== null) {
      // The send-back reaches the broker after the handler threw, so the
      // redelivery is never earlier than failedAt + 10 s.
      dt = again.at - failedAt;
      t.check(dt >= RETRY_FIRST_DELAY_MS, `redelivery ${dt} ms after the failure, before the ${RETRY_FIRST_DELAY_MS} ms of level 3`);
      t.check(dt <= RETRY_FIRST_DELAY_MS + DELAY_LATE_MS,
        `redelivery ${dt} ms after the failure, more than ${RETRY_FIRST_DELAY_MS} + ${DELAY_LATE_MS} ms`);
    }
  }
  const sendBacks = t.log.count(/consumerSendMessageBack success/);
  t.check(sendBacks === 1, `CONSUMER_SEND_MSG_BACK succeeded ${sendBacks} time(s), want 1`);
  return `${retryTopic} pulled ${(ownedAfter / 1000).toFixed(1)} s after start; ` +
    `redelivered with reconsumeTimes 1 ${dt === null ? '?' : (dt / 1000).toFixed(2)} s after the failure`;
}

// Smoke cases: only rmq-namesrv is running.
async function smokeClusterInfo(h, t) {
  const info = await h.clusterInfo();
  t.check(typeof info.brokerAddrTable === 'object' && typeof info.clusterAddrTable === 'object',
    `GET_BROKER_CLUSTER_INFO body lacks brokerAddrTable/clusterAddrTable`);
  return `GET_BROKER_CLUSTER_INFO answered 0; ${Object.keys(info.brokerAddrTable).length} broker(s), ` +
    `${Object.keys(info.clusterAddrTable).length} cluster(s)`;
}

async function smokeRouteWait(h, t) {
  // No broker, so the bounded wait must give up, having seen TOPIC_NOT_EXIST.
  const topic = `interop_smoke_${h.runId}`;
  const started = Date.now();
  try {
    await h.waitForRoute(t, topic, 2000);
    t.problem(`got a route for ${topic}, which nobody created`);
  } catch (err) {
    const elapsed = Date.now() - started;
    t.check(elapsed < 5000, `route wait took ${elapsed} ms, bound was 2000 ms`);
    t.check(/code 17\)/.test(err.message), `route wait ended with "${err.message}", want TOPIC_NOT_EXIST (17)`);
  }
  return `route wait for an unknown topic gave up after ${Date.now() - started} ms on TOPIC_NOT_EXIST`;
}

// (h) slave read: broker-a has a SLAVE (slaveReadEnable). 30 messages are
// sent to the master; once the slave holds them all (GET_MAX_OFFSET on the
// slave), the master is killed with SIGKILL, and a fresh group
// (CONSUME_FROM_FIRST_OFFSET) started afterwards must receive every one,
// intact (body, tags, keys, properties, msgId, queue and offset), from the
// slave alone -- ali-ons' findBrokerAddressInSubscribe falls back to it once
// the namesrv dropped the master. Runs last: broker-a has no master after it.
async function caseSlaveRead(h, t) {
  const masterPid = Number(process.env.INTEROP_MASTER_PID || 0);
  const slaveAddr = process.env.INTEROP_SLAVE_ADDR || '';
  if (!masterPid || !slaveAddr) throw new Error('needs INTEROP_MASTER_PID and INTEROP_SLAVE_ADDR (run.sh sets them)');
  const n = h.names('h');
  await h.createTopic(t, n.topic);
  // The slave copies its master's topics every 10 s; until then it answers
  // a pull with TOPIC_NOT_EXIST, as RocketMQ's does.
  await sleep(11000);
  const producer = await h.startProducer(t, n);
  const sent = [];
  for (let i = 0; i < 30; i++) {
    sent.push(await sendOne(producer, n.topic, {
      seq: i, tag: 'TagH', body: crypto.randomBytes(100 + i * 37), keys: [ `hk${i}` ], props: { hCase: 'slave' },
    }));
  }
  checkSendResults(t, h, sent);
  const perQueue = countBy(sent, 'queueId');
  await t.waitFor('the slave to hold every message', async () => {
    for (const [ q, count ] of perQueue) {
      if (await h.admin.getMaxOffset(slaveAddr, n.topic, q, 3000) < count) return false;
    }
    return true;
  }, { timeoutMs: 10000, intervalMs: 200 });
  process.kill(masterPid, 'SIGKILL');
  await t.waitFor('the namesrv to drop the master', async () => {
    const route = await h.admin.getTopicRouteInfoFromNameServer(n.topic, 3000);
    const bd = route && (route.brokerDatas || []).find(b => b.brokerName === BROKER_NAME);
    return bd && bd.brokerAddrs && !bd.brokerAddrs['0'] && bd.brokerAddrs['1'] === slaveAddr;
  }, { timeoutMs: 15000, intervalMs: 200 });

  const got = [];
  await h.startConsumer(t, n, 'c', { consumeFromWhere: ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET }, n.topic,
    async (msg, mq) => { got.push(delivery(msg, mq)); });
  await t.waitFor(`${sent.length} messages from the slave`, async () => got.length >= sent.length,
    { timeoutMs: 30000, intervalMs: 100 });
  await sleep(1000); // anything extra would show up now
  checkExactlyOnce(t, 'from the slave', sent, got);
  const bySeq = new Map(got.map(g => [ g.seq, g ]));
  for (const s of sent) {
    const g = bySeq.get(s.seq);
    if (!g) continue;
    const diffs = compareDelivery(n.topic, s, g);
    t.check(!diffs.length, `seq ${s.seq} from the slave: ${diffs.join('; ')}`);
  }
  return `${sent.length} messages sent to the master, all consumed from the slave after the master's SIGKILL`;
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

const CASES = [
  { id: 'a', name: 'a-roundtrip', fn: caseRoundtrip },
  { id: 'b', name: 'b-sharding-key-order', fn: caseSharding },
  { id: 'c', name: 'c-retry-topic', fn: caseRetry },
  { id: 'd', name: 'd-broadcasting', fn: caseBroadcast },
  { id: 'e', name: 'e-clustering-rebalance', fn: caseRebalance },
  { id: 'f', name: 'f-delay-levels', fn: caseDelay },
  { id: 'g', name: 'g-retry-timing', fn: caseRetryTiming },
  { id: 'h', name: 'h-slave-read', fn: caseSlaveRead },  // last: it kills the master
];
const SMOKE_CASES = [
  { id: 's1', name: 'smoke-cluster-info', fn: smokeClusterInfo },
  { id: 's2', name: 'smoke-route-wait', fn: smokeRouteWait },
];

let current = null; // the running CaseContext, for stray exceptions

function report(status, name, summary, t) {
  const secs = t ? ` (${((Date.now() - t.started) / 1000).toFixed(1)} s)` : '';
  console.log(`${status} ${name}: ${clip(summary)}${secs}`);
  if (t && status === 'FAIL') {
    for (const p of t.problems.slice(1, 15)) console.log(`  # ${clip(p)}`);
    if (t.problems.length > 15) console.log(`  # ... ${t.problems.length - 15} more`);
    const tail = t.log.tail(15, / (WARN|ERROR) /);
    if (tail.length) {
      console.log('  # last ali-ons warnings/errors:');
      for (const l of tail) console.log(`  #   ${clip(l, 400)}`);
    }
  }
}

async function runCase(h, c) {
  const t = new CaseContext(c.name);
  current = t;
  let summary = '';
  try {
    summary = await withTimeout(c.fn(h, t), CASE_TIMEOUT_MS,
      `did not finish within ${CASE_TIMEOUT_MS / 1000} s`);
  } catch (err) {
    t.problems.unshift(err.message);
  }
  t.aborted = true;
  await t.closeAll();
  current = null;
  const ok = t.problems.length === 0;
  report(ok ? 'PASS' : 'FAIL', c.name, ok ? summary : t.problems[0], t);
  return ok;
}

async function main() {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const only = (args.find(a => a.startsWith('--only=')) || '').slice('--only='.length).split(',').filter(Boolean);
  const positional = args.filter(a => !a.startsWith('--'));
  if (positional.length < 1 || positional.length > 2) {
    console.error('usage: node interop.js [--smoke] [--only=a,b,..] NAMESRV_HOST:PORT [BROKER_HOST:PORT]');
    process.exit(2);
  }
  const h = new Harness(positional[0], positional[1]);
  let passed = 0;
  let failed = 0;

  const watchdog = setTimeout(() => {
    console.log(`FAIL harness: the run did not finish within ${TOTAL_TIMEOUT_MS / 1000} s`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);

  process.on('unhandledRejection', err => (current ? current.log : h.log).warn('unhandled rejection: %s', errText(err)));
  process.on('uncaughtException', err => {
    if (current) current.problem(`uncaught exception: ${err && err.stack}`);
    else h.log.error('uncaught exception: %s', err && err.stack);
  });

  let cases = smoke ? SMOKE_CASES : CASES;
  if (only.length) cases = cases.filter(c => only.includes(c.id) || only.includes(c.name));

  // Setup: admin client, and (unless smoke) the broker's registration.
  const setup = new CaseContext('setup');
  try {
    await h.start();
    if (!smoke) {
      const addr = await h.waitForBroker(setup);
      if (h.expectedBrokerAddr && addr !== h.expectedBrokerAddr) {
        setup.problem(`${BROKER_NAME} registered as ${addr}, expected ${h.expectedBrokerAddr} (brokerIP1:listenPort)`);
      }
    }
  } catch (err) {
    setup.problems.unshift(errText(err));
  }
  if (setup.problems.length) {
    setup.log = h.log;
    report('FAIL', 'setup', setup.problems[0], setup);
    failed += 1 + cases.length;
    for (const c of cases) console.log(`FAIL ${c.name}: not run, setup failed`);
  } else {
    if (!smoke) h.log.info('broker %s at %s, run id %s', BROKER_NAME, h.brokerAddr, h.runId);
    for (const c of cases) {
      if (await runCase(h, c)) passed++;
      else failed++;
    }
  }

  await h.stop();
  clearTimeout(watchdog);
  console.log(`${passed} passed, ${failed} failed`);
  // ali-ons keeps timers (the inner producer's MQClient) alive: exit explicitly.
  process.exit(failed ? 1 : 0);
}

main().catch(err => {
  console.log(`FAIL harness: ${err && err.stack}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
