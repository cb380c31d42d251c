#!/usr/bin/env node
// A minimal Node.js `ws` relay for benchmark P4 (../../../shared/PRODUCT.md): the floor that
// the network, TLS, JSON and fan-out alone cost, to run beside callcommander-server in the same
// script and report the ratio. It speaks just enough of our protocol (docs/protocol.md,
// docs/sync-protocol.md; field names copied from shared/protocol/envelope.cpp) for the app's own
// sync client (app/net/serverconnection.cpp + app/sync/syncclient.cpp, as bench/fleet.cpp uses
// them) to connect, go live, push call notes and receive other devices' notes, unchanged.
//
// What it does, per connection:
//   hello      -> welcome (protocol negotiated as the server does; userId/role read from the
//                 token's payload, which is NOT verified: no signature, expiry or session check)
//   subscribe  -> one empty snapshot page: changes {from 1, to <newest version>, reset, complete}
//                 (there is no history to send: the relay keeps no rows), and the device is live
//   push       -> push_result (same id): each insert applied with the next version of one
//                 relay-wide counter; then the rows fanned out as changes {complete} (below)
//   reauth, error from the client: accepted silently, as the server does after a good reauth
//   pull       -> protocol_violation (every page is complete; the server says the same outside
//                 a catch-up)
//   analytics_subscribe -> not_ready "live figures are not available" (what the server answers
//                 when it runs without live analytics; P4 does not use them)
//   WebSocket pings (the client's 15 s keepalive) are answered by `ws` itself.
// Malformed messages get our error envelope and the server's close codes (1007 malformed, 1008
// protocol violation, 4001 unsupported version, 4003 no token, 1009 over 256 KiB via maxPayload).
//
// Fan-out (the choice that keeps the comparison fair): the server sends a committed row to every
// live device of the organisation whose scope (the user's stores) includes the row's store -- the
// writing device included, which gets its own row back with its mutation id. The relay has no
// database, so it learns a user's stores from that user's writes: when user U inserts a row whose
// `location_id` is L, L joins U's stores, and every live device of U (writers and listeners
// alike) and of any other user who wrote to L receives L's rows from then on. In bench P4 each
// store has one user whose devices (the writers and the listening tablet) all write or listen to
// that one store, so this is exactly the server's audience: the same 3 devices per note, writer
// included. (It would be wrong for a user who may see a store without ever writing there; P4 has
// none.) One message is encoded per store and push and sent to each device of its audience, as
// the server shares one encoded message per scope.
//
// What it does not do (the point of the comparison): no durability, no database, no catch-up or
// replay after a reconnect (a subscribe always gets an empty snapshot), no token verification,
// no schema validation, no de-duplication of re-sent mutation ids, no conflict resolution. Only
// inserts that carry a text `location_id` are applied; updates, deletes and rows without a store
// are answered `rejected` (nothing in P4 sends them). For call_notes it fills `author_id` (the
// token's user) and `created_at` as the server does, so rows are about the server's size.
// One process, one thread.
//
//   node relay.js --port N --cert FILE --key FILE [--host 127.0.0.1]
//   (--port 0: any free port.) The first line on stdout is `listening on <port>`; a summary
//   goes to stderr on SIGTERM/SIGINT.

'use strict';

const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

// ---- limits and codes (shared/protocol/messages.h, server/ops/config.h) ----

const kProtocolMin = 1;
const kProtocolMax = 1;
const kMaxIdLength = 64;
const kMaxNameLength = 128;
const kMaxKeyLength = 200;
const kMaxTokenLength = 4096;
const kMaxFieldsPerRow = 64;
const kMaxValueLength = 64 * 1024;
const kMaxMutationsPerPush = 1000;
const kMaxMessageBytes = 256 * 1024; // ws.max_message_bytes
const kMaxQueueBytes = 8 * 1024 * 1024; // ws.max_queue_bytes: a slower reader is dropped
const kHelloTimeoutMs = 10_000; // timeouts.handshake_seconds

const kCloseMalformed = 1007;
const kClosePolicy = 1008;
const kCloseUnsupportedVersion = 4001;
const kCloseUnauthenticated = 4003;

const kScopeKey = 'relay-1';
const kServerName = 'callcommander-relay';
const kServerVersion = require('./package.json').version;

// ---- arguments ----

function parseArgs(argv) {
    const out = { port: null, cert: null, key: null, host: '127.0.0.1' };
    for (let i = 0; i < argv.length; ++i) {
        const name = argv[i];
        const value = argv[i + 1];
        if (!['--port', '--cert', '--key', '--host'].includes(name) || value === undefined) {
            usage(`unexpected argument ${name}`);
        }
        out[name.slice(2)] = value;
        ++i;
    }
    if (out.port === null || !/^\d+$/.test(out.port) || Number(out.port) > 65535 || !out.cert ||
        !out.key) {
        usage('--port, --cert and --key are required');
    }
    out.port = Number(out.port);
    return out;
}

function usage(why) {
    process.stderr.write(`relay: ${why}\nusage: node relay.js --port N --cert FILE --key FILE ` +
                         '[--host ADDRESS]\n');
    process.exit(2);
}

// ---- the relay's clock and version counter ----

let lastVersion = 0; // the newest version handed out
const clock = { wallMs: 0, counter: 0, node: 'server-relay' };

// shared/sync/hlc.cpp: HlcClock::now and encode ("<13-digit ms>-<6-digit counter>-<node>").
function hlcNow() {
    const now = Date.now();
    if (now > clock.wallMs) {
        clock.wallMs = now;
        clock.counter = 0;
    } else if (clock.counter < 999_999) {
        ++clock.counter;
    } else {
        ++clock.wallMs;
        clock.counter = 0;
    }
    return String(clock.wallMs).padStart(13, '0') + '-' + String(clock.counter).padStart(6, '0') +
           '-' + clock.node;
}

// ---- envelopes (shared/protocol/envelope.cpp: encode) ----

function envelope(type, id, body) {
    const o = { v: kProtocolMax, type };
    if (id) {
        o.id = id;
    }
    o.body = body;
    return JSON.stringify(o);
}

function errorEnvelope(code, message, inReplyTo) {
    const body = { code, message };
    if (code === 'unsupported_version') {
        body.supported = { min: kProtocolMin, max: kProtocolMax };
    }
    return envelope('error', inReplyTo, body);
}

// ---- validation (the parts of envelope.cpp's decode that the relay reads) ----

class Invalid extends Error {}

function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// The codec bounds UTF-8 bytes; a UTF-16 unit is 1 to 3 of them.
function tooLong(text, maxBytes) {
    return text.length > maxBytes ||
           (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes);
}

function readString(o, key, where, maxLength, required = true) {
    const v = o[key];
    if (v === undefined) {
        if (required) {
            throw new Invalid(`${where}: missing "${key}"`);
        }
        return '';
    }
    if (typeof v !== 'string') {
        throw new Invalid(`${where}: "${key}" must be a string`);
    }
    if (tooLong(v, maxLength)) {
        throw new Invalid(`${where}: "${key}" is longer than ${maxLength} characters`);
    }
    return v;
}

function readInt(v, what, min = 0, max = Number.MAX_SAFE_INTEGER) {
    if (!Number.isInteger(v)) {
        throw new Invalid(`${what} must be an integer`);
    }
    if (v < min || v > max) {
        throw new Invalid(`${what} is out of range`);
    }
    return v;
}

function requireObject(v, what) {
    if (!isObject(v)) {
        throw new Invalid(`${what} must be an object`);
    }
    return v;
}

function checkFields(v, where) {
    const f = requireObject(v, where);
    const names = Object.keys(f);
    if (names.length > kMaxFieldsPerRow) {
        throw new Invalid(`${where} has more than ${kMaxFieldsPerRow} fields`);
    }
    for (const name of names) {
        const value = f[name];
        if (name.length === 0 || name.length > kMaxNameLength) {
            throw new Invalid(`${where}: a field name is empty or too long`);
        }
        if (typeof value === 'string') {
            if (tooLong(value, kMaxValueLength)) {
                throw new Invalid(`${where}.${name} is longer than ${kMaxValueLength} bytes`);
            }
        } else if (value !== null && typeof value !== 'boolean' && typeof value !== 'number') {
            throw new Invalid(`${where}.${name} must be null, true/false, a number or text`);
        }
    }
    return f;
}

function readHello(body) {
    const p = requireObject(body.protocol, 'hello.protocol');
    const range = { min: readInt(p.min, 'hello.protocol.min', 0, 0xffff),
                    max: readInt(p.max, 'hello.protocol.max', 0, 0xffff) };
    if (range.min > range.max) {
        throw new Invalid('hello.protocol: min is greater than max');
    }
    readString(body, 'client', 'hello', kMaxNameLength);
    readString(body, 'clientVersion', 'hello', kMaxNameLength);
    return { range, deviceId: readString(body, 'deviceId', 'hello', kMaxIdLength),
             token: readString(body, 'token', 'hello', kMaxTokenLength, false) };
}

function readPush(body) {
    const list = body.mutations;
    if (!Array.isArray(list)) {
        throw new Invalid('push.mutations must be an array');
    }
    if (list.length > kMaxMutationsPerPush) {
        throw new Invalid(`push.mutations has more than ${kMaxMutationsPerPush} entries`);
    }
    for (const m of list) {
        requireObject(m, 'push.mutations[]');
        readString(m, 'id', 'mutation', kMaxIdLength);
        readString(m, 'e', 'mutation', kMaxNameLength);
        readString(m, 'k', 'mutation', kMaxKeyLength);
        const op = readString(m, 'op', 'mutation', kMaxNameLength);
        if (op !== 'insert' && op !== 'update' && op !== 'delete') {
            throw new Invalid('mutation.op must be insert, update or delete');
        }
        if (op !== 'delete') {
            if (m.f === undefined) {
                throw new Invalid('mutation: missing "f"');
            }
            checkFields(m.f, 'mutation.f');
        }
        readString(m, 'h', 'mutation', kMaxNameLength);
    }
    return list;
}

// The token's payload (header.payload.signature, base64url JSON), read and not verified.
function tokenClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3) {
        return null;
    }
    try {
        const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
        return isObject(payload) && typeof payload.sub === 'string' && payload.sub.length > 0 &&
                       payload.sub.length <= kMaxIdLength
                   ? { userId: payload.sub, role: typeof payload.role === 'string' ? payload.role : '' }
                   : null;
    } catch {
        return null;
    }
}

// ---- who sees what ----

const liveByUser = new Map(); // userId -> Set of live connections (subscribed)
const usersByStore = new Map(); // store id -> Set of userIds that wrote there
const stats = { connections: 0, pushes: 0, applied: 0, rejected: 0, changesSent: 0,
                rowsSent: 0, dropped: 0 };

function learnStore(userId, store) {
    let users = usersByStore.get(store);
    if (!users) {
        users = new Set();
        usersByStore.set(store, users);
    }
    users.add(userId);
}

// `data`: a string, or a Buffer encoded once and shared by every receiver of a fan-out.
function sendTo(conn, data) {
    const ws = conn.ws;
    if (ws.readyState !== ws.OPEN) {
        return false;
    }
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (ws.bufferedAmount + size > kMaxQueueBytes) {
        // A client that does not read cannot read a close frame either (the server aborts too).
        // Logged a few times only: stderr to a pipe blocks on Linux once nobody reads it.
        if (++stats.dropped <= 10) {
            process.stderr.write(`relay: dropped ${conn.deviceId}: reads too slowly\n`);
        }
        ws.terminate();
        return false;
    }
    ws.send(data, { binary: false });
    return true;
}

// ---- one connection ----

function fail(conn, code, message, inReplyTo, closeCode) {
    sendTo(conn, errorEnvelope(code, message, inReplyTo));
    let reason = message;
    while (Buffer.byteLength(reason) > 123) {
        reason = reason.slice(0, -1);
    }
    conn.ws.close(closeCode, reason);
    conn.closing = true;
}

function onHello(conn, id, body) {
    if (conn.greeted) {
        return fail(conn, 'protocol_violation', 'hello was already received', id, kClosePolicy);
    }
    const hello = readHello(body);
    const low = Math.max(kProtocolMin, hello.range.min);
    const high = Math.min(kProtocolMax, hello.range.max);
    if (low > high) {
        return fail(conn, 'unsupported_version',
                    `no protocol version in common: client speaks ${hello.range.min}..` +
                        `${hello.range.max}, server speaks ${kProtocolMin}..${kProtocolMax}`,
                    id, kCloseUnsupportedVersion);
    }
    if (hello.token === '') {
        return fail(conn, 'unauthenticated', 'sign in first: hello needs an access token', id,
                    kCloseUnauthenticated);
    }
    // Not verified: without a user in the token, the device is a user of its own.
    const claims = tokenClaims(hello.token);
    conn.greeted = true;
    conn.deviceId = hello.deviceId;
    conn.userId = claims ? claims.userId : `device:${hello.deviceId}`;
    conn.author = claims ? claims.userId : null; // a user id, to stamp notes with
    clearTimeout(conn.helloTimer);
    sendTo(conn, envelope('welcome', id, { protocol: high, server: kServerName,
                                           serverVersion: kServerVersion, node: 'relay',
                                           serverTimeMs: Date.now(),
                                           userId: claims ? claims.userId : '',
                                           role: claims ? claims.role : '' }));
}

function onSubscribe(conn, id, body) {
    readInt(body.cursor, 'subscribe.cursor');
    readString(body, 'scopeKey', 'subscribe', kMaxNameLength, false);
    if (conn.live) {
        return sendTo(conn, errorEnvelope('protocol_violation',
                                          'already subscribed on this connection', id));
    }
    // Nothing to catch up on (no rows are kept): a snapshot of nothing, complete at once.
    sendTo(conn, envelope('changes', '', { from: 1, to: lastVersion, scopeKey: kScopeKey,
                                           rows: [], reset: true, complete: true }));
    conn.live = true;
    let set = liveByUser.get(conn.userId);
    if (!set) {
        set = new Set();
        liveByUser.set(conn.userId, set);
    }
    set.add(conn);
}

function onPush(conn, id, body) {
    const mutations = readPush(body);
    ++stats.pushes;
    const results = [];
    const rowsByStore = new Map(); // store -> rows, in version order
    const from = lastVersion + 1;
    for (const m of mutations) {
        const store = m.op === 'insert' && typeof m.f.location_id === 'string' &&
                              m.f.location_id.length > 0
                          ? m.f.location_id
                          : null;
        if (store === null) {
            ++stats.rejected;
            results.push({ id: m.id, s: 'rejected',
                           reason: m.op === 'insert'
                                       ? `${m.e}: the relay routes rows by location_id; none here`
                                       : `${m.e}: the relay applies inserts only` });
            continue;
        }
        ++stats.applied;
        const version = ++lastVersion;
        results.push({ id: m.id, s: 'applied', v: version });
        let fields = m.f;
        if (m.e === 'call_notes') {
            // As the server stores a note: its author is the writer; created_at defaults to now.
            fields = { ...m.f, author_id: conn.author };
            if (fields.created_at === undefined) {
                fields.created_at = Date.now();
            }
        }
        let rows = rowsByStore.get(store);
        if (!rows) {
            rows = [];
            rowsByStore.set(store, rows);
        }
        rows.push({ e: m.e, k: m.k, v: version, f: fields, m: m.id, h: m.h });
        learnStore(conn.userId, store);
    }
    // The answer first (the server answers after its commit; the fan-out follows the commit).
    sendTo(conn, envelope('push_result', id, { results, hlc: hlcNow() }));
    const to = lastVersion;
    for (const [store, rows] of rowsByStore) {
        const text = Buffer.from(envelope('changes', '', { from, to, scopeKey: kScopeKey, rows,
                                                           complete: true }));
        for (const userId of usersByStore.get(store)) {
            const devices = liveByUser.get(userId);
            if (!devices) {
                continue;
            }
            for (const device of devices) {
                if (sendTo(device, text)) {
                    ++stats.changesSent;
                    stats.rowsSent += rows.length;
                }
            }
        }
    }
}

function onText(conn, text) {
    let root;
    try {
        root = JSON.parse(text);
    } catch (e) {
        return fail(conn, 'malformed_message', `not valid JSON: ${e.message}`, '', kCloseMalformed);
    }
    let id = '';
    try {
        const o = requireObject(root, 'message');
        id = readString(o, 'id', 'message', kMaxIdLength, false);
        if (o.v === undefined) {
            throw new Invalid('message: missing "v"');
        }
        const v = readInt(o.v, 'message.v', 0, 0xffff);
        if (v < kProtocolMin || v > kProtocolMax) {
            return fail(conn, 'unsupported_version',
                        `protocol version ${v} is not supported; supported: ${kProtocolMin}..` +
                            `${kProtocolMax}`,
                        id, kCloseUnsupportedVersion);
        }
        const type = readString(o, 'type', 'message', kMaxNameLength);
        if (o.body === undefined) {
            throw new Invalid('message: missing "body"');
        }
        const body = requireObject(o.body, 'message.body');
        if (type === 'hello') {
            return onHello(conn, id, body);
        }
        const known = ['welcome', 'error', 'reauth', 'subscribe', 'changes', 'pull', 'push',
                       'push_result', 'analytics_subscribe', 'analytics'];
        if (!known.includes(type)) {
            const message = `unknown message type "${type}"`;
            if (conn.greeted) {
                return sendTo(conn, errorEnvelope('unknown_type', message, id)); // stays open
            }
            return fail(conn, 'unknown_type', message, id, kClosePolicy);
        }
        if (!conn.greeted) {
            return fail(conn, 'protocol_violation', `the first message must be hello, not ${type}`,
                        id, kClosePolicy);
        }
        switch (type) {
        case 'subscribe':
            return onSubscribe(conn, id, body);
        case 'push':
            return onPush(conn, id, body);
        case 'pull':
            readInt(body.cursor, 'pull.cursor');
            return sendTo(conn, errorEnvelope('protocol_violation',
                                              'nothing to pull: not catching up', id));
        case 'reauth':
            readString(body, 'token', 'reauth', kMaxTokenLength);
            return undefined; // accepted (not verified); the server answers a good one with nothing
        case 'error':
            return undefined; // the client reports a problem; nothing to answer
        case 'analytics_subscribe':
            return sendTo(conn, errorEnvelope('not_ready', 'live figures are not available', id));
        default:
            return fail(conn, 'protocol_violation', `${type} is sent by servers, not clients`, id,
                        kClosePolicy);
        }
    } catch (e) {
        if (e instanceof Invalid) {
            return fail(conn, 'malformed_message', e.message, id, kCloseMalformed);
        }
        throw e;
    }
}

function onConnection(ws, req) {
    req.socket.setNoDelay(true); // as the server does: no Nagle stalls on small answers
    ++stats.connections;
    const conn = { ws, greeted: false, live: false, closing: false, deviceId: '', userId: '',
                   author: null, helloTimer: null };
    conn.helloTimer = setTimeout(() => {
        if (!conn.greeted && !conn.closing) {
            fail(conn, 'protocol_violation', 'no hello received in time', '', kClosePolicy);
        }
    }, kHelloTimeoutMs);
    ws.on('message', (data, isBinary) => {
        if (conn.closing) {
            return;
        }
        if (isBinary) {
            fail(conn, 'malformed_message', 'binary frames are not part of this protocol', '',
                 kCloseMalformed);
            return;
        }
        onText(conn, data.toString('utf8'));
    });
    ws.on('close', () => {
        clearTimeout(conn.helloTimer);
        if (conn.live) {
            const set = liveByUser.get(conn.userId);
            set.delete(conn);
            if (set.size === 0) {
                liveByUser.delete(conn.userId);
            }
        }
    });
    ws.on('error', () => {}); // e.g. over maxPayload: ws closes with 1009 by itself
}

// ---- main ----

function main() {
    const args = parseArgs(process.argv.slice(2));
    const server = https.createServer({ cert: fs.readFileSync(args.cert),
                                        key: fs.readFileSync(args.key),
                                        minVersion: 'TLSv1.2' });
    server.on('request', (req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain' });
        res.end('WebSocket only\n');
    });
    const wss = new WebSocketServer({ server, maxPayload: kMaxMessageBytes,
                                      perMessageDeflate: false, clientTracking: true });
    wss.on('connection', onConnection);
    server.listen(args.port, args.host, () => {
        process.stdout.write(`listening on ${server.address().port}\n`);
    });
    const stop = () => {
        process.stderr.write(`relay: ${JSON.stringify({ ...stats, lastVersion })}\n`);
        for (const ws of wss.clients) {
            ws.terminate();
        }
        server.close(() => process.exit(0));
        setTimeout(() => process.exit(0), 1000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main();
