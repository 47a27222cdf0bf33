#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run once; the output
is committed). Seeds are small valid inputs of each kind, so that the fuzzers
start from real protocol shapes: ali-ons and Java headers, ROCKETMQ binary
headers, a route body with bare numeric keys, a heartbeat body, offset tables
with object keys."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

ALI_ONS_SEND = ('{"code":310,"language":"JAVA","opaque":6,"flag":0,"version":121,"extFields":'
                '{"a":"PID_x","b":"CapTopic","c":"TBW102","d":4,"e":3,"f":0,"g":1795564323070,"h":0,'
                '"i":"TAGS\\u0001TagA\\u0002KEYS\\u0001k-0\\u0002hUtf8\\u0001h\u00e9llo-\u4e16\u754c-\u2713\\u0002",'
                '"j":0,"k":false}}')
ALI_ONS_PULL = ('{"code":11,"language":"JAVA","opaque":18,"flag":0,"version":121,"extFields":'
                '{"consumerGroup":"GID_x","topic":"CapTopic","queueId":0,"queueOffset":0,"maxMsgNums":32,'
                '"sysFlag":6,"commitOffset":0,"suspendTimeoutMillis":15000,"subscription":"*",'
                '"subVersion":1795564323489}}')
JAVA_RESPONSE = ('{"code":0,"extFields":{"msgId":"C0A8000100002A9F0000000000001234","queueId":"1",'
                 '"queueOffset":"17","MSG_REGION":"DefaultRegion","TRACE_ON":"true"},"flag":1,'
                 '"language":"JAVA","opaque":42,"remark":"ok \\ud83d\\ude00","serializeTypeCurrentRPC":"JSON",'
                 '"version":409}')
CPP_REQUEST = ('{"code":"105","extFields":{"topic":"T","nested":{"a":[1,2.5e3,null,true]}},"flag":"0",'
               '"language":1,"opaque":"7","remark":"","version":333}')
ROUTE_BODY = ('{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"b",'
              '"cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},'
              '"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,"topicSysFlag":0,'
              '"writeQueueNums":4}]}')
HEARTBEAT_BODY = ('{"clientID":"192.0.2.2@9955","consumerDataSet":[{"groupName":"GID_x",'
                  '"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",'
                  '"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"topic":"CapTopic",'
                  '"subString":"*","classFilterMode":false,"tagsSet":[],"codeSet":[],'
                  '"subVersion":1795564323489}],"unitMode":false}],"producerDataSet":[{"groupName":"PID_x"}]}')
CONSUME_STATS_BODY = ('{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:'
                      '{"brokerOffset":12,"consumerOffset":10,"lastTimestamp":1700000000000},'
                      '{"brokerName":"b","queueId":1,"topic":"t"}:{"brokerOffset":3,"consumerOffset":3,'
                      '"lastTimestamp":0}}}')
OFFSET_FILE = '{\n\t"offsetTable":{\n\t\t"T@g":{0:118,1:-1,2:9223372036854775807}\n\t}\n}'
CLUSTER_INFO = ('{"brokerAddrTable":{"b":{"brokerAddrs":{0:"10.0.0.5:10911"},"brokerName":"b",'
                '"cluster":"c"}},"clusterAddrTable":{"c":["b"]}}')


def binary_header(code, lang, version, opaque, flag, remark, ext):
    out = struct.pack('>hbhii', code, lang, version, opaque, flag)
    r = remark.encode()
    out += struct.pack('>i', len(r)) + r
    area = b''
    for k, v in ext:
        kb, vb = k.encode(), v.encode()
        area += struct.pack('>h', len(kb)) + kb + struct.pack('>i', len(vb)) + vb
    return out + struct.pack('>i', len(area)) + area


def frame(serialize_type, header, body=b''):
    return struct.pack('>ii', 4 + len(header) + len(body), (serialize_type << 24) | len(header)) + header + body


BIN_SEND = binary_header(310, 0, 409, 1, 0, '', [('a', 'PG'), ('b', 'TopicTest'), ('d', '4'),
                                                 ('i', 'KEYS\x01k1\x02TAGS\x01TagA\x02')])
BIN_RESPONSE = binary_header(0, 1, 409, 1, 1, 'done', [('msgId', 'C0A8'), ('queueId', '1'), ('queueId', '2'),
                                                        ('empty', '')])
BIN_MINIMAL = binary_header(34, 7, -1, -5, 2, '', [])

CORPUS = {
    'fuzz_frame': {
        'ali_ons_send_v2': frame(0, ALI_ONS_SEND.encode(), b'hello body'),
        'ali_ons_pull': frame(0, ALI_ONS_PULL.encode()),
        'java_response': frame(0, JAVA_RESPONSE.encode()),
        'cpp_request': frame(0, CPP_REQUEST.encode()),
        'heartbeat': frame(0, b'{"code":34,"language":"JAVA","opaque":11,"flag":0,"version":121,"extFields":{}}',
                           HEARTBEAT_BODY.encode()),
        'rocketmq_send': frame(1, BIN_SEND, b'\x00\x01\x02body'),
        'rocketmq_response': frame(1, BIN_RESPONSE),
        'two_frames': frame(0, b'{"code":105,"extFields":{"topic":"T"}}') + frame(1, BIN_MINIMAL),
    },
    'fuzz_json_header': {
        'ali_ons_send_v2': ALI_ONS_SEND.encode(),
        'ali_ons_pull': ALI_ONS_PULL.encode(),
        'java_response': JAVA_RESPONSE.encode(),
        'cpp_request': CPP_REQUEST.encode(),
        'empty_ext': b'{"code":106,"language":"JAVA","opaque":2,"flag":0,"version":121,"extFields":{}}',
    },
    'fuzz_binary_header': {
        'send': BIN_SEND,
        'response': BIN_RESPONSE,
        'minimal': BIN_MINIMAL,
    },
    'fuzz_json_body': {
        'route_bare_keys': ROUTE_BODY.encode(),
        'heartbeat': HEARTBEAT_BODY.encode(),
        'consume_stats_object_keys': CONSUME_STATS_BODY.encode(),
        'consumer_offset_file': OFFSET_FILE.encode(),
        'cluster_info': CLUSTER_INFO.encode(),
        'scalars': json.dumps([0.0, -1.5e-7, 1e300, "\u0001\ud83d\ude00", True, None, 18446744073709551615],
                              ensure_ascii=True).encode(),
    },
}

total = 0
for target, seeds in CORPUS.items():
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        total += len(data)
print(f'wrote {sum(len(s) for s in CORPUS.values())} seeds, {total} bytes')
