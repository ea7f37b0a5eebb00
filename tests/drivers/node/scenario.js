'use strict';
// An end-to-end scenario against a running Sibyl with the Node.js `cassandra-driver` 4.x and its
// defaults (only the mandatory localDataCenter is set): connect, DDL, CRUD with simple and
// prepared statements, paging (automatic and with page states), batches and a few types.
//
// Usage:
//   node scenario.js <host:port>            the scenario
//   node scenario.js <host:port> restart    prepares, prints "ready for restart", waits for a line
//                                           on stdin (the server restarts meanwhile and forgets the
//                                           statement), then executes it: the driver must get
//                                           UNPREPARED, re-prepare and retry transparently.
// Exits 0 on success; prints what failed and exits 1 otherwise.

const assert = require('assert');
const readline = require('readline');
const cassandra = require('cassandra-driver');

function newClient(contactPoint, options = {}) {
  return new cassandra.Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1', ...options });
}

async function scenario(contactPoint) {
  const client = newClient(contactPoint);
  await client.connect();
  try {
    const ks = 'node_driver';
    await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await client.execute(
      `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${ks}.items (k int, c int, v text, PRIMARY KEY (k, c))`);
    await client.execute(`USE ${ks}`);
    assert.strictEqual(client.keyspace, ks);

    // CRUD: simple statements, and prepared ones (values typed from the PREPARED metadata).
    await client.execute("INSERT INTO items (k, c, v) VALUES (1, 1, 'one')");
    await client.execute('UPDATE items SET v = ? WHERE k = ? AND c = ?', ['uno', 1, 1], { prepare: true });
    let rs = await client.execute('SELECT c, v FROM items WHERE k = 1');
    assert.deepStrictEqual(rs.rows.map((r) => [r.c, r.v]), [[1, 'uno']]);

    const insert = 'INSERT INTO items (k, c, v) VALUES (?, ?, ?)';
    for (let c = 0; c < 100; c++) {
      await client.execute(insert, [2, c, `v${c}`], { prepare: true });
    }
    rs = await client.execute('SELECT v FROM items WHERE k = ? AND c = ?', [2, 42], { prepare: true });
    assert.strictEqual(rs.first().v, 'v42');
    await client.execute('DELETE FROM items WHERE k = ? AND c = ?', [2, 42], { prepare: true });
    rs = await client.execute('SELECT v FROM items WHERE k = ? AND c = ?', [2, 42], { prepare: true });
    assert.strictEqual(rs.rowLength, 0);

    // Paging: async iteration fetches the pages; pageState resumes by hand.
    const select = 'SELECT c FROM items WHERE k = ?';
    rs = await client.execute(select, [2], { prepare: true, fetchSize: 7 });
    const all = [];
    for await (const row of rs) {
      all.push(row.c);
    }
    const expected = [...Array(100).keys()].filter((c) => c !== 42);
    assert.deepStrictEqual(all, expected);

    let pageState;
    let pages = 0;
    let seen = 0;
    do {
      rs = await client.execute(select, [2], { prepare: true, fetchSize: 10, pageState });
      pages += 1;
      seen += rs.rowLength;
      pageState = rs.pageState;
    } while (pageState && pages < 100);
    assert.strictEqual(seen, 99);
    assert.strictEqual(pages, 10);

    let streamed = 0;
    await new Promise((resolve, reject) => {
      client.eachRow('SELECT c, v FROM items WHERE k = 2', [], { autoPage: true, fetchSize: 13 },
        () => { streamed += 1; }, (err) => (err ? reject(err) : resolve()));
    });
    assert.strictEqual(streamed, 99);

    // Batches: logged with a prepared and a literal statement, then unlogged.
    await client.batch([
      { query: insert, params: [3, 1, 'a'] },
      { query: insert, params: [3, 2, 'b'] },
      { query: "UPDATE items SET v = 'updated' WHERE k = 3 AND c = 1" },
    ], { prepare: true });
    await client.batch([
      { query: insert, params: [3, 3, 'c'] },
      { query: insert, params: [3, 4, 'd'] },
    ], { prepare: true, logged: false });
    rs = await client.execute('SELECT c, v FROM items WHERE k = 3');
    assert.deepStrictEqual(rs.rows.map((r) => [r.c, r.v]), [[1, 'updated'], [2, 'b'], [3, 'c'], [4, 'd']]);

    // Types through prepared statements.
    await client.execute(
      'CREATE TABLE typed (id int PRIMARY KEY, b bigint, d double, f boolean, u uuid, l list<int>, m map<text, int>)');
    const u = cassandra.types.Uuid.random();
    await client.execute('INSERT INTO typed (id, b, d, f, u, l, m) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [1, cassandra.types.Long.fromString('1099511627776'), 2.5, true, u, [3, 2, 1], { x: 1 }], { prepare: true });
    const row = (await client.execute('SELECT b, d, f, u, l, m FROM typed WHERE id = ?', [1], { prepare: true }))
      .first();
    assert.strictEqual(row.b.toString(), '1099511627776');
    assert.strictEqual(row.d, 2.5);
    assert.strictEqual(row.f, true);
    assert.strictEqual(row.u.toString(), u.toString());
    assert.deepStrictEqual(row.l, [3, 2, 1]);
    assert.deepStrictEqual(row.m, { x: 1 });

    // Errors come back as the driver's typed errors.
    await assert.rejects(client.execute('SELECT nope FROM items'), (e) => e instanceof cassandra.errors.ResponseError);

    await client.execute(`DROP KEYSPACE ${ks}`);
  } finally {
    await client.shutdown();
  }
}

async function waitForLine() {
  const rl = readline.createInterface({ input: process.stdin });
  await new Promise((resolve) => rl.once('line', resolve));
  rl.close();
  // An open stdin would keep the process alive after the scenario.
  process.stdin.destroy();
}

async function restart(contactPoint) {
  // Without re-preparing everything when the node comes back up, the first EXECUTE after the
  // restart meets UNPREPARED and the driver re-prepares on the spot.
  const client = newClient(contactPoint, { rePrepareOnUp: false });
  await client.connect();
  try {
    await client.execute('DROP KEYSPACE IF EXISTS node_driver_restart');
    await client.execute(
      "CREATE KEYSPACE node_driver_restart WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await client.execute('CREATE TABLE node_driver_restart.t (k int PRIMARY KEY, v text)');
    const insert = 'INSERT INTO node_driver_restart.t (k, v) VALUES (?, ?)';
    const select = 'SELECT v FROM node_driver_restart.t WHERE k = ?';
    await client.execute(insert, [1, 'before'], { prepare: true });
    await client.execute(select, [1], { prepare: true });

    console.log('ready for restart');
    await waitForLine();

    // The driver reconnects in the background; until then requests fail with NoHostAvailable.
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        await client.execute(insert, [2, 'after'], { prepare: true });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        console.error(`not reconnected yet: ${e.message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    for (const [k, want] of [[1, 'before'], [2, 'after']]) {
      const rs = await client.execute(select, [k], { prepare: true });
      assert.strictEqual(rs.first().v, want);
    }
    await client.execute('DROP KEYSPACE node_driver_restart');
  } finally {
    await client.shutdown();
  }
}

async function main() {
  const [contactPoint, mode] = process.argv.slice(2);
  if (!contactPoint) {
    console.error('usage: node scenario.js <host:port> [restart]');
    process.exit(2);
  }
  const name = mode === 'restart' ? 'restart scenario' : 'scenario';
  try {
    await (mode === 'restart' ? restart(contactPoint) : scenario(contactPoint));
    console.log(`node driver ${name}: ok`);
    process.exit(0);
  } catch (e) {
    console.error(`node driver ${name}: FAILED: ${e.stack || e}`);
    process.exit(1);
  }
}

main();
