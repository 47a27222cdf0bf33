#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_store_recovery under
fuzz/corpus/fuzz_store_recovery/ (run once; the output is committed).

Each seed is the 12-byte header of fuzz/store_recovery_oracle.h followed by
CommitLog bytes in the stored message format (V1 records, IPv4 hosts, body
CRC = zlib CRC32 & 0x7fffffff): clean logs, a torn tail, a checkpoint and an
abort file, two segments closed by a blank record, corruption below the
flushed position, transactions and queues that start past offset 0. Seeds
are a few KiB at most.

With --regressions it writes instead, into the corpus directory, the one
regression input too large to commit: log_end_in_last_8_bytes, a 64 KiB
segment whose last record ends 6 bytes before the segment's end (recovery
once left the log there and the next put crossed the segment)."""
import sys
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEGMENT = 64 * 1024
MAGIC_V1 = 0xDAA320A7
BORN_HOST = bytes([10, 0, 0, 1]) + struct.pack('>i', 50000)
STORE_HOST = bytes([127, 0, 0, 1]) + struct.pack('>i', 10911)

# Header flags (see store_recovery_oracle.h).
TRUNCATE, CHECKPOINT, ABORT, TWO_SEGMENTS, BLANK, NO_CRC, NO_INDEX, RAW = (1 << i for i in range(8))
ASYNC = 1


def properties(tags='', keys='', uniq=''):
    out = ''
    for name, value in (('TAGS', tags), ('KEYS', keys), ('UNIQ_KEY', uniq)):
        if value:
            out += name + '\x01' + value + '\x02'
    return out.encode()


def record(offset, topic, queue_id, queue_offset, body, tags='', keys='', sys_flag=0, store_ts=1700000000100):
    topic_b = topic.encode()
    props = properties(tags, keys, 'U%d' % offset)
    size = 91 + len(body) + len(topic_b) + len(props)
    out = struct.pack('>iIiiiqqiq', size, MAGIC_V1, zlib.crc32(body) & 0x7fffffff, queue_id, 0, queue_offset,
                      offset, sys_flag, 1700000000000)
    out += BORN_HOST + struct.pack('>q', store_ts) + STORE_HOST
    out += struct.pack('>iqi', 0, 0, len(body)) + body
    out += struct.pack('>B', len(topic_b)) + topic_b + struct.pack('>h', len(props)) + props
    assert len(out) == size
    return out


class Log:
    """Records appended from a start offset; queue offsets kept per queue."""

    def __init__(self, start=0, next_offsets=None):
        self.start = start
        self.data = b''
        self.next = dict(next_offsets or {})
        self.boundaries = [start]

    def put(self, topic, queue_id, body, **kw):
        q = (topic, queue_id)
        qoff = kw.pop('queue_offset', self.next.get(q, 0))
        if kw.get('sys_flag', 0) & 0xC in (0x4, 0xC):
            qoff_stored = 0
        else:
            qoff_stored = qoff
            self.next[q] = qoff + 1
        self.data += record(self.start + len(self.data), topic, queue_id, qoff_stored, body, **kw)
        self.boundaries.append(self.start + len(self.data))
        return self


def header(flags, flags2=0, split=0, dispatched=0, flushed=0):
    return struct.pack('<BBHII', flags, flags2, split, dispatched, flushed)


def mixed(n, start=0, next_offsets=None):
    log = Log(start, next_offsets)
    for i in range(n):
        log.put('TopicA' if i % 3 else 'TopicB', i % 2, b'body-%d' % i, tags='Tag%d' % (i % 2), keys='k%d' % i)
    return log


def seeds():
    out = {}
    clean = mixed(12)
    out['clean_no_checkpoint'] = header(0) + clean.data
    out['torn_tail'] = header(0) + clean.data[:-37]
    # Checkpoint at record boundary 5 (snapped index), flushed 40 bytes later,
    # abort file: a crash after some dispatching.
    out['crash_with_checkpoint'] = header(CHECKPOINT | ABORT, ASYNC, dispatched=5, flushed=40) + clean.data
    # Corruption below what the checkpoint says was synced: a flipped body
    # byte in record 6; flushed reaches past the end. Refused, and cut with
    # TRUNCATE.
    bad = bytearray(clean.data)
    bad[clean.boundaries[6] + 91] ^= 0x20
    out['corrupt_durable'] = header(CHECKPOINT, dispatched=2, flushed=4000) + bytes(bad)
    out['corrupt_durable_truncate'] = header(CHECKPOINT | TRUNCATE, dispatched=2, flushed=4000) + bytes(bad)
    out['bad_crc_unchecked'] = header(NO_CRC | NO_INDEX) + bytes(bad)
    # Two segments: segment 0 closed by a blank record after 6 records, the
    # rest in segment 1 at offset 65536.
    seg0 = mixed(6)
    seg1 = mixed(5, SEGMENT, seg0.next)
    out['two_segments'] = header(TWO_SEGMENTS | BLANK | CHECKPOINT, split=len(seg0.data), dispatched=3,
                                 flushed=2000) + seg0.data + seg1.data
    out['two_segments_no_blank'] = header(TWO_SEGMENTS, split=len(seg0.data)) + seg0.data + seg1.data
    # Transactions (prepared and rolled back take no queue slot) and a queue
    # that starts at offset 70 (earlier records aged out).
    tx = Log()
    tx.put('TopicT', 3, b'half', sys_flag=0x4, queue_offset=70)
    tx.put('TopicT', 3, b'first', queue_offset=70)
    tx.put('TopicT', 3, b'commit', sys_flag=0x8)
    tx.put('TopicT', 3, b'rollback', sys_flag=0xC)
    tx.put('TopicT', 3, b'last', keys='a b c')
    out['transactions_late_start'] = header(0) + tx.data
    # Raw checkpoint positions (dispatched 200 is inside a record).
    out['raw_checkpoint'] = header(CHECKPOINT | RAW, dispatched=200, flushed=900) + clean.data
    # A queue offset out of line: every queue is rebuilt.
    gap = mixed(4)
    gap.put('TopicA', 1, b'jump', queue_offset=9)
    gap.put('TopicA', 1, b'after')
    out['queue_gap'] = header(0) + gap.data
    # Store timestamps at the ends of the i64 range (the bytes are the
    # input's): the index file's seconds-since-begin once overflowed.
    ts = Log()
    ts.put('TopicA', 0, b'min', keys='a', store_ts=-2**63)
    ts.put('TopicA', 0, b'max', keys='a', store_ts=2**63 - 1)
    ts.put('TopicA', 0, b'zero', keys='a', store_ts=0)
    out['store_timestamps_extreme'] = header(0) + ts.data
    return out


def log_end_in_last_8_bytes():
    log = Log()
    for _ in range(3):
        log.put('TopicA', 0, b'x' * 16000)
    want = 65530
    for body in range(want - len(log.data) - 200, want - len(log.data)):
        r = record(len(log.data), 'TopicA', 0, 3, b'y' * body)
        if len(log.data) + len(r) == want:
            return header(0) + log.data + r
    raise AssertionError('no body size fits')


def main():
    if sys.argv[1:] == ['--regressions']:
        path = os.path.join(HERE, 'corpus', 'fuzz_store_recovery', 'log_end_in_last_8_bytes')
        with open(path, 'wb') as f:
            f.write(log_end_in_last_8_bytes())
        print('wrote', path)
        return
    d = os.path.join(HERE, 'corpus', 'fuzz_store_recovery')
    os.makedirs(d, exist_ok=True)
    total = 0
    for name, data in seeds().items():
        assert len(data) <= 4096, name
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        total += len(data)
    print(f'wrote {len(seeds())} seeds, {total} bytes')


if __name__ == '__main__':
    main()
