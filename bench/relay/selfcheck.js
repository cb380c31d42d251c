#!/usr/bin/env node
// Self-check of relay.js: starts it on a free port with a throwaway certificate (openssl CLI),
// then talks to it exactly as the app's sync client does (the JSON that
// shared/protocol/envelope.cpp encodes, checked against what its decoder requires) and exits 0
// when everything arrived:
//   - writer and listener of store 1 (one user, as in bench P4) and a device of store 2:
//     hello -> welcome, subscribe -> changes {reset, complete}
//   - store 2's device pushes a note (the relay learns store 2), the writer pushes one note:
//     push_result (same id, applied, a version) to the writer; changes holding the row to the
//     listener and back to the writer (as the server does); nothing to store 2's device
//   - malformed JSON gets error malformed_message and close 1007; a WebSocket ping gets a pong;
//     a message before hello is a protocol violation (1008); over 256 KiB closes 1009; a hello
//     with no version in common gets unsupported_version and 4001.
//
//   node selfcheck.js

'use strict';

const assert = require('assert/strict');
const { execFileSync, spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocket = require('ws');

const kTimeoutMs = 5000;

function makeCertificate(dir) {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
                             'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj',
                             '/CN=localhost', '-addext',
                             'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out',
                             cert],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert, key };
}

function startRelay(cert, key) {
    const child = spawn(process.execPath,
                        [path.join(__dirname, 'relay.js'), '--port', '0', '--cert', cert, '--key',
                         key],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('relay did not start: ' + stderr)),
                                 kTimeoutMs);
        child.stdout.on('data', (d) => {
            out += d;
            const nl = out.indexOf('\n');
            if (nl >= 0) {
                clearTimeout(timer);
                const m = /^listening on (\d+)$/.exec(out.slice(0, nl));
                if (!m) {
                    reject(new Error(`unexpected first line: ${out.slice(0, nl)}`));
                } else {
                    resolve({ child, port: Number(m[1]), stderr: () => stderr });
                }
            }
        });
        child.on('exit', (code) => reject(new Error(`relay exited (${code}): ${stderr}`)));
    });
}

// A token shaped like server/auth/tokens.cpp issues (header.payload.signature, base64url); the
// relay reads the payload and verifies nothing, so the signature is random bytes.
function token(userId) {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' }) + '.' +
           b64({ iss: 'callcommander', sub: userId, org: crypto.randomUUID(),
                 sid: crypto.randomUUID(), role: 'staff', iat: now, exp: now + 3600 }) +
           '.' + crypto.randomBytes(32).toString('base64url');
}

// ---- what the app's decoder (shared/protocol/envelope.cpp) requires of what it reads ----

const isInt = (v) => Number.isInteger(v);
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (o, k, required = true) => {
    if (o[k] === undefined) {
        assert.ok(!required, `missing "${k}"`);
        return;
    }
    assert.equal(typeof o[k], 'string', `"${k}" must be a string`);
};
const hlcPattern = /^\d{13}-\d{6}-[A-Za-z0-9_.:-]{1,64}$/;

function checkEnvelope(text) {
    const e = JSON.parse(text);
    assert.ok(isObj(e), 'envelope is an object');
    assert.equal(e.v, 1);
    str(e, 'type');
    str(e, 'id', false);
    assert.ok(isObj(e.body), 'body is an object');
    const b = e.body;
    switch (e.type) {
    case 'welcome':
        assert.ok(isInt(b.protocol));
        str(b, 'server');
        str(b, 'serverVersion');
        str(b, 'node', false);
        assert.ok(isInt(b.serverTimeMs));
        str(b, 'userId', false);
        str(b, 'role', false);
        break;
    case 'error':
        str(b, 'code');
        str(b, 'message', false);
        break;
    case 'changes':
        assert.ok(isInt(b.from) && b.from >= 0 && isInt(b.to) && b.to >= 0);
        assert.ok(b.to + 1 >= b.from, '"to" is before "from"');
        for (const k of ['reset', 'complete']) {
            assert.ok(b[k] === undefined || typeof b[k] === 'boolean');
        }
        str(b, 'scopeKey', false);
        assert.ok(Array.isArray(b.rows) && b.rows.length <= 10000);
        for (const r of b.rows) {
            str(r, 'e');
            str(r, 'k');
            assert.ok(isInt(r.v) && r.v >= b.from && r.v <= b.to, 'row version outside [from, to]');
            if (r.d !== true) {
                assert.ok(isObj(r.f), 'row.f');
            }
            str(r, 'm', false);
            str(r, 'h', false);
        }
        break;
    case 'push_result':
        assert.ok(Array.isArray(b.results));
        for (const r of b.results) {
            str(r, 'id');
            assert.ok(r.s === 'applied' || r.s === 'rejected');
            assert.ok(r.v === undefined || (isInt(r.v) && r.v >= 0));
        }
        str(b, 'hlc', false);
        break;
    default:
        assert.fail(`unexpected message type ${e.type}`);
    }
    return e;
}

// ---- a device ----

class Device {
    constructor(port, ca, name) {
        this.name = name;
        this.messages = [];
        this.waiters = [];
        this.ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca, perMessageDeflate: false });
        this.ws.on('message', (data, isBinary) => {
            assert.ok(!isBinary, 'binary frame');
            this.messages.push(checkEnvelope(data.toString('utf8')));
            this.wake();
        });
        this.closed = new Promise((resolve) => {
            this.ws.on('close', (code, reason) => {
                this.wake();
                resolve({ code, reason: reason.toString() });
            });
        });
        this.ws.on('error', (e) => { this.error = e; this.wake(); });
    }

    wake() {
        for (const w of this.waiters.splice(0)) {
            w();
        }
    }

    opened() {
        return new Promise((resolve, reject) => {
            this.ws.once('open', resolve);
            this.ws.once('error', reject);
        });
    }

    send(type, id, body) {
        const o = { v: 1, type };
        if (id) {
            o.id = id;
        }
        o.body = body;
        this.ws.send(JSON.stringify(o));
    }

    // The first message (taken off the queue) that `match` accepts.
    async next(what, match, timeoutMs = kTimeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const i = this.messages.findIndex(match);
            if (i >= 0) {
                return this.messages.splice(i, 1)[0];
            }
            if (this.error) {
                throw new Error(`${this.name}: ${this.error.message} while waiting for ${what}`);
            }
            const left = deadline - Date.now();
            if (left <= 0) {
                throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms; got ` +
                                JSON.stringify(this.messages));
            }
            await new Promise((resolve) => {
                const t = setTimeout(resolve, left);
                this.waiters.push(() => { clearTimeout(t); resolve(); });
            });
        }
    }

    // As ServerConnection::sendHello and SyncClient::subscribe do.
    async goLive(userId, deviceId) {
        await this.opened();
        this.send('hello', 'hello', { protocol: { min: 1, max: 1 }, client: 'callcommander',
                                      clientVersion: '0.1.0', deviceId, token: token(userId) });
        const welcome = await this.next('welcome', (m) => m.type === 'welcome');
        assert.equal(welcome.id, 'hello');
        assert.equal(welcome.body.protocol, 1);
        assert.equal(welcome.body.userId, userId);
        this.send('subscribe', 'sub-1', { cursor: 0, scopeKey: '' });
        const snapshot = await this.next('changes', (m) => m.type === 'changes');
        assert.equal(snapshot.body.complete, true, 'snapshot complete (the client goes Live)');
        assert.equal(snapshot.body.reset, true);
        assert.ok(snapshot.body.scopeKey.length > 0);
    }

    // As SyncClient::pushNext sends one call note (bench/fleet.cpp noteFields).
    pushNote(pushId, storeId, customerId) {
        const note = crypto.randomUUID();
        const mutation = crypto.randomUUID();
        const h = `${String(Date.now()).padStart(13, '0')}-000000-${this.name}`;
        this.send('push', pushId, { mutations: [{
            id: mutation, e: 'call_notes', k: note, op: 'insert', h,
            f: { id: note, location_id: storeId, body: 'p4 1', customer_id: customerId } }] });
        return { note, mutation };
    }
}

function rowOf(message, key) {
    return message.type === 'changes' ? message.body.rows.find((r) => r.k === key) : undefined;
}

async function main() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-selfcheck-'));
    let relay;
    try {
        const { cert, key } = makeCertificate(dir);
        relay = await startRelay(cert, key);
        const ca = fs.readFileSync(cert);
        const user1 = crypto.randomUUID();
        const user2 = crypto.randomUUID();
        const store1 = crypto.randomUUID();
        const store2 = crypto.randomUUID();
        const customer = crypto.randomUUID();

        const writer = new Device(relay.port, ca, 'p4-s0-1');
        const listener = new Device(relay.port, ca, 'p4-s0-2');
        const other = new Device(relay.port, ca, 'p4-s1-1');
        await Promise.all([writer.goLive(user1, 'p4-s0-1'), listener.goLive(user1, 'p4-s0-2'),
                           other.goLive(user2, 'p4-s1-1')]);
        console.log('ok: 3 devices welcomed and live (subscribe answered complete)');

        // Store 2's device writes first: the relay learns that store 2 is user 2's.
        const theirs = other.pushNote('push-2', store2, customer);
        const theirResult = await other.next('push_result', (m) => m.type === 'push_result');
        assert.equal(theirResult.id, 'push-2');
        await other.next('own row back', (m) => rowOf(m, theirs.note) !== undefined);

        const mine = writer.pushNote('push-2', store1, customer);
        const result = await writer.next('push_result', (m) => m.type === 'push_result');
        assert.equal(result.id, 'push-2');
        assert.equal(result.body.results.length, 1);
        const r = result.body.results[0];
        assert.equal(r.id, mine.mutation);
        assert.equal(r.s, 'applied');
        assert.ok(r.v > theirResult.body.results[0].v, 'versions increase');
        assert.match(result.body.hlc, hlcPattern);
        console.log(`ok: push_result to the writer: applied at version ${r.v}, hlc ${result.body.hlc}`);

        const heard = await listener.next('changes with the note',
                                          (m) => rowOf(m, mine.note) !== undefined);
        const row = rowOf(heard, mine.note);
        assert.equal(heard.body.complete, true);
        assert.equal(row.e, 'call_notes');
        assert.equal(row.v, r.v);
        assert.equal(row.m, mine.mutation);
        assert.equal(row.f.location_id, store1);
        assert.equal(row.f.id, mine.note);
        assert.equal(row.f.author_id, user1);
        assert.match(row.h, hlcPattern);
        console.log('ok: changes with the note reached the listener of the same store');
        await writer.next('own row back', (m) => rowOf(m, mine.note) !== undefined);
        console.log('ok: the writer got its row back with its mutation id (as from the server)');
        assert.ok(!listener.messages.some((m) => rowOf(m, theirs.note)),
                  'store 1 listener got store 2 note');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.ok(!other.messages.some((m) => rowOf(m, mine.note)), 'store 2 got store 1 note');
        console.log('ok: neither store got the other store\'s note');

        // Keepalive: the app sends WebSocket pings every 15 s.
        await new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error('no pong')), kTimeoutMs);
            listener.ws.once('pong', () => { clearTimeout(t); resolve(); });
            listener.ws.ping();
        });
        console.log('ok: ping answered with pong');

        // Malformed JSON: our error envelope, then close 1007.
        const bad = new Device(relay.port, ca, 'bad');
        await bad.opened();
        bad.ws.send('{"v":1,"type":');
        const err = await bad.next('error', (m) => m.type === 'error');
        assert.equal(err.body.code, 'malformed_message');
        assert.equal((await bad.closed).code, 1007);
        console.log(`ok: malformed JSON answered "${err.body.message}", closed 1007`);

        // Anything before hello: protocol_violation, close 1008.
        const early = new Device(relay.port, ca, 'early');
        await early.opened();
        early.send('subscribe', 'sub-1', { cursor: 0, scopeKey: '' });
        const violation = await early.next('error', (m) => m.type === 'error');
        assert.equal(violation.body.code, 'protocol_violation');
        assert.equal(violation.id, 'sub-1');
        assert.equal((await early.closed).code, 1008);
        console.log('ok: subscribe before hello answered protocol_violation, closed 1008');

        // Over 256 KiB: closed 1009 (maxPayload), as the server's read limit does.
        const big = new Device(relay.port, ca, 'big');
        await big.opened();
        big.send('hello', 'hello', { protocol: { min: 1, max: 1 }, client: 'callcommander',
                                     clientVersion: 'x'.repeat(300 * 1024), deviceId: 'big',
                                     token: token(user1) });
        assert.equal((await big.closed).code, 1009);
        console.log('ok: a 300 KiB message closed the connection with 1009');

        // A version the relay does not speak: unsupported_version with the supported range, 4001.
        const future = new Device(relay.port, ca, 'future');
        await future.opened();
        future.send('hello', 'hello', { protocol: { min: 2, max: 3 }, client: 'callcommander',
                                        clientVersion: '9.0.0', deviceId: 'future',
                                        token: token(user1) });
        const unsupported = await future.next('error', (m) => m.type === 'error');
        assert.equal(unsupported.body.code, 'unsupported_version');
        assert.deepEqual(unsupported.body.supported, { min: 1, max: 1 });
        assert.equal((await future.closed).code, 4001);
        console.log('ok: hello for protocol 2..3 answered unsupported_version, closed 4001');

        for (const d of [writer, listener, other]) {
            d.ws.close(1000);
            await d.closed;
        }
        relay.child.removeAllListeners('exit');
        const exited = new Promise((resolve) => relay.child.on('exit', resolve));
        relay.child.kill('SIGTERM');
        assert.equal(await exited, 0, 'relay exit code');
        process.stdout.write(`ok: relay stopped; ${relay.stderr()}`);
        console.log('selfcheck passed');
    } finally {
        if (relay && relay.child.exitCode === null) {
            relay.child.kill('SIGKILL');
        }
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (e) => {
    console.error(`selfcheck FAILED: ${e.stack || e}`);
    process.exit(1);
});
