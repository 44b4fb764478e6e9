import { describe, expect, it } from 'vitest';
import { appCookies, listeningPorts } from './previews.domain.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   3: 0B00007F:A67F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0BB8 0100007F:A0C2 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1`;

describe('listeningPorts', () => {
  it("finds each listening port once, with its address, ignoring established connections and Docker's DNS", () => {
    expect(listeningPorts(TCP)).toEqual([
      { port: 3000, address: '127.0.0.1' },
      { port: 8080, address: '0.0.0.0' },
    ]);
  });

  it('is empty for nothing listening', () => {
    expect(listeningPorts('  sl  local_address rem_address   st\n')).toEqual([]);
  });
});

describe('appCookies', () => {
  it("drops Berth's session cookie and keeps the app's", () => {
    expect(appCookies('berth_session=secret; theme=dark; sid=1', 'berth_session')).toBe('theme=dark; sid=1');
    expect(appCookies('berth_session=secret', 'berth_session')).toBeUndefined();
    expect(appCookies(undefined, 'berth_session')).toBeUndefined();
  });
});
