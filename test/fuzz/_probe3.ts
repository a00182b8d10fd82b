import { connect } from 'node:net';
import { startFuzzNode } from './fuzz-node.js';
const f = await startFuzzNode();
const port = Number(new URL(f.node.daemon.url).port);
for (let i = 0; i < 3; i++) {
  const s = connect(port, '127.0.0.1');
  let got = '';
  s.on('data', (d) => (got += d.toString('latin1')));
  s.write('GET / HTTP/1.1\r\nHost: echo.localhost\r\n\r\nPOST / HTTP/1.1\r\nHost: echo.localhost\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc');
  await new Promise((r) => setTimeout(r, 1500));
  console.log(JSON.stringify(got));
  s.destroy();
}
await f.node.stop();
